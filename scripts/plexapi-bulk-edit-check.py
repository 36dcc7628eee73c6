# python-plexapi's user-rating edits against the emulated Plex (run from the emulator README's command): editUserRating
# on one track (PUT /library/sections/{id}/all?id=K&type=10&userRating.locked=1&userRating.value=X, locked being
# python-plexapi's default), and batchMultiEdits/editUserRating/saveMultiEdits on several (one PUT with id=a,b,c), each read back.
import sys
sys.path.insert(0, sys.argv[3] if len(sys.argv) > 3 else "plexapi-src")
from plexapi.server import PlexServer
url, token = sys.argv[1], sys.argv[2]
plex = PlexServer(url, token)
music = next(s for s in plex.library.sections() if s.type == "artist")
tracks = music.searchTracks(filters={"userRating": -1}, maxresults=5)
print("server:", plex.friendlyName, plex.version, "| section:", music.title, "| unrated tracks taken:", [t.ratingKey for t in tracks])
def state(t):
    t.reload()
    return (t.userRating, t.isLocked("userRating"))
one = tracks[0]
one.editUserRating(8)  # locked=True by default
print("editUserRating(8):", state(one))
one.editUserRating(6, locked=False)
print("editUserRating(6, locked=False):", state(one))
many = tracks[1:]
music.batchMultiEdits(many)
music.editUserRating(4, locked=False)
music.saveMultiEdits()
print("batchMultiEdits + editUserRating(4, locked=False) + saveMultiEdits:", [state(t) for t in many])
music.batchMultiEdits(many)
music.editUserRating("", locked=False)  # python-plexapi clears with an empty value
music.saveMultiEdits()
print("cleared in one batch:", [state(t) for t in many])
one.rate(None)
print("rate(None) on the first:", state(one))
