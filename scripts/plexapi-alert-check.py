# python-plexapi's AlertListener against the emulated Plex (run from the emulator README's command).
import sys, time, threading
sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else "plexapi-src")
from plexapi.server import PlexServer
import websocket
if "socket" not in websocket.WebSocketApp.__init__.__code__.co_varnames:
    # Debian's websocket-client 1.2.3 predates the socket= argument python-plexapi passes (always None here).
    _App = websocket.WebSocketApp
    websocket.WebSocketApp = lambda *a, socket=None, **k: _App(*a, **k)
url, token = sys.argv[1], sys.argv[2]
plex = PlexServer(url, token)
seen, done = [], threading.Event()
def on_alert(data):
    if data.get("type") == "timeline":
        for e in data.get("TimelineEntry", []):
            seen.append((e["itemID"], e["type"], e["state"]))
    if data.get("type") == "status" and data["StatusNotification"][0]["title"] == "Library scan complete":
        done.set()
listener = plex.startAlertListener(callback=on_alert)
done.wait(30)
listener.stop()
print("server:", plex.friendlyName, plex.version)
print("timeline entries:", len(seen), "items:", len({i for i, _, _ in seen}), "states:", sorted({s for _, _, s in seen}))
print("processed tracks:", sorted({i for i, t, s in seen if t == 10 and s == 5}))
print("scan complete:", done.is_set())
