using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace StarSync.PlexEmulator;

/// <summary>
/// The server side of PMS's notification websocket (plex-api.md §9b): every connected client gets the JSON text
/// frames <c>{"NotificationContainer":{"type":…,"size":N,&lt;array&gt;:[…]}}</c>. A new album (<see cref="EmulatedLibrary.AddAlbum"/>)
/// is announced as a scan: activity started, timeline entries for the album and its tracks through created →
/// processing → processed (batched, several entries per frame), activity ended, then "Library scan complete".
/// </summary>
/// <remarks>
/// The scanner runs on its own loop and outlives restarts of the HTTP side (<see cref="PlexEmulatorServer.StopServingAsync"/>):
/// albums added while nobody is connected are scanned and announced to nobody, as on a real server.
/// </remarks>
public sealed class NotificationHub : IAsyncDisposable
{
    /// <summary>The agent PMS reports for a library without one (Personal Media).</summary>
    public const string NoAgent = "tv.plex.agents.none";

    /// <summary>The websocket path every working client uses (the spec's singular form is not served by PMS builds in the wild).</summary>
    public const string Path = "/:/websockets/notifications";

    private const int OutboxCapacity = 10_000;

    private readonly EmulatorState _state;
    private readonly ConcurrentDictionary<long, Client> _clients = new();
    private readonly Channel<NewAlbum> _added = Channel.CreateUnbounded<NewAlbum>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _scanner;
    private long _nextClient;
    private long _framesSent;
    private long _framesDropped;
    private long _scans;
    private long _connections;
    private long _requests;

    internal NotificationHub(EmulatorState state)
    {
        _state = state;
        state.Library.AlbumAdded += album => _added.Writer.TryWrite(album);
        _scanner = Task.Run(() => ScanLoopAsync(_stop.Token));
    }

    /// <summary>Clients connected now.</summary>
    public int ConnectedClients => _clients.Count;

    /// <summary>Websocket upgrades accepted since start.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Requests to the websocket path, refused ones (401) included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Frames handed to clients (one per client per frame).</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frames not delivered because a client's queue was full (a client that does not read).</summary>
    public long FramesDropped => Interlocked.Read(ref _framesDropped);

    /// <summary>Scans announced completely (up to "Library scan complete").</summary>
    public long ScansCompleted => Interlocked.Read(ref _scans);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    /// <summary>Aborts every connection without a close handshake, as a crashing server or a broken network does.</summary>
    public int DropConnections()
    {
        var n = 0;
        foreach (var client in _clients.Values)
        {
            client.Context.Abort();
            n++;
        }

        return n;
    }

    /// <summary>Sends a raw text frame to every client (garbage, unknown types, oversized frames: for tests of listeners).</summary>
    public void Broadcast(string text) => Publish("raw", Encoding.UTF8.GetBytes(text));

    /// <summary>Serves one accepted websocket until the client leaves, the connection drops or the server stops.</summary>
    internal async Task ServeAsync(HttpContext context, WebSocket socket, string? filters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextClient);
        var client = new Client(context, socket, Filter.Parse(filters));
        _clients[id] = client;
        Interlocked.Increment(ref _connections);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // A receive must be pending for the socket to process the client's PONGs and its close frame.
            var receive = ReceiveUntilClosedAsync(socket, linked.Token);
            var send = SendLoopAsync(client, linked.Token);
            await Task.WhenAny(receive, send);
            await linked.CancelAsync();
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away or the server stops: nothing to tell anyone.
        }
        finally
        {
            _clients.TryRemove(id, out _);
            client.Outbox.Writer.TryComplete();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _added.Writer.TryComplete();
        try
        {
            await _scanner;
        }
        catch (OperationCanceledException)
        {
            // Stopped mid-scan.
        }

        _stop.Dispose();
    }

    private static async Task ReceiveUntilClosedAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Gone.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SendLoopAsync(Client client, CancellationToken cancellationToken)
    {
        var sent = 0;
        await foreach (var frame in client.Outbox.Reader.ReadAllAsync(cancellationToken))
        {
            var garbageEvery = _state.Options.Notifications.GarbageEveryFrames;
            if (garbageEvery > 0 && ++sent % garbageEvery == 0)
            {
                await client.Socket.SendAsync("{\"NotificationContainer\":{\"type\":\"timeline\",\"size\":1,\"TimelineEntry\":[{"u8.ToArray(),
                    WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }

            await client.Socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            Interlocked.Increment(ref _framesSent);
        }
    }

    private void Publish(string type, byte[] frame)
    {
        foreach (var client in _clients.Values)
        {
            if (client.Filter.Accepts(type) && !client.Outbox.Writer.TryWrite(frame))
            {
                Interlocked.Increment(ref _framesDropped);
            }
        }
    }

    private async Task ScanLoopAsync(CancellationToken cancellationToken)
    {
        while (await _added.Reader.WaitToReadAsync(cancellationToken))
        {
            // Albums that arrived together are found by one scan, per section, as PMS scans a folder of new music.
            var albums = new List<NewAlbum>();
            while (albums.Count < 1000 && _added.Reader.TryRead(out var album))
            {
                albums.Add(album);
            }

            foreach (var section in albums.GroupBy(a => a.SectionKey))
            {
                await ScanAsync(section.Key, section.ToArray(), cancellationToken);
            }
        }
    }

    private async Task ScanAsync(string sectionKey, IReadOnlyList<NewAlbum> albums, CancellationToken cancellationToken)
    {
        var options = _state.Options.Notifications;
        var time = _state.Options.TimeProvider;
        var section = _state.Library.Sections.First(s => s.Key == sectionKey);
        var activity = Guid.NewGuid().ToString();
        var items = albums.SelectMany(a => a.TrackRatingKeys.Select(t => new Item(t, a.AlbumRatingKey, a.ArtistRatingKey, 10))
            .Prepend(new Item(a.AlbumRatingKey, a.ArtistRatingKey, a.ArtistRatingKey, 9))).ToArray();
        var albumItems = items.Where(i => i.Type == 9).ToArray();
        var trackItems = items.Where(i => i.Type == 10).ToArray();

        PublishActivity("started", activity, section, 0);
        PublishTimeline(sectionKey, items, state: 0, metadataState: "created", mediaState: null);
        await EmulatorMiddleware.DelayAsync(options.StepDelay, time, cancellationToken);
        PublishActivity("updated", activity, section, 33);

        // progress: the scanner has the files; without an agent this is where processing ends (plex-api.md §9b).
        PublishTimeline(sectionKey, items, state: 1, metadataState: null, mediaState: null);
        if (!options.SectionsWithoutAgent.Contains(sectionKey))
        {
            await EmulatorMiddleware.DelayAsync(options.StepDelay, time, cancellationToken);
            // The agent matches and fetches album metadata; tracks follow the album.
            PublishTimeline(sectionKey, albumItems, state: 2, metadataState: "loading", mediaState: null);
            PublishTimeline(sectionKey, albumItems, state: 3, metadataState: "loading", mediaState: null);
            PublishTimeline(sectionKey, albumItems, state: 4, metadataState: "processing", mediaState: null);
            PublishActivity("updated", activity, section, 66);
            await EmulatorMiddleware.DelayAsync(options.StepDelay, time, cancellationToken);
            PublishTimeline(sectionKey, albumItems, state: 5, metadataState: null, mediaState: null);
            PublishTimeline(sectionKey, trackItems, state: 5, metadataState: null, mediaState: null);
            // Media analysis afterwards repeats processed entries for the tracks (listeners must not act twice).
            PublishTimeline(sectionKey, trackItems, state: 5, metadataState: null, mediaState: "analyzing");
        }

        await EmulatorMiddleware.DelayAsync(options.StepDelay, time, cancellationToken);
        PublishActivity("ended", activity, section, 100);
        Publish("status", Frame("status", "StatusNotification", 1, w =>
        {
            w.WriteStartObject();
            w.WriteString("title", "Library scan complete");
            w.WriteString("description", "");
            w.WriteString("notificationName", "LIBRARY_UPDATE");
            w.WriteEndObject();
        }));
        Interlocked.Increment(ref _scans);
    }

    private void PublishTimeline(string sectionKey, IReadOnlyList<Item> items, int state, string? metadataState, string? mediaState)
    {
        var now = _state.Options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        var perFrame = Math.Max(1, _state.Options.Notifications.MaxEntriesPerFrame);
        for (var start = 0; start < items.Count; start += perFrame)
        {
            var chunk = items.Skip(start).Take(perFrame).ToArray();
            Publish("timeline", Frame("timeline", "TimelineEntry", chunk.Length, w =>
            {
                foreach (var item in chunk)
                {
                    w.WriteStartObject();
                    w.WriteString("identifier", PlexEndpoints.LibraryIdentifier);
                    w.WriteString("sectionID", sectionKey);
                    w.WriteString("itemID", item.Key);
                    w.WriteString("parentItemID", item.Parent);
                    w.WriteString("rootItemID", item.Root);
                    w.WriteNumber("type", item.Type);
                    w.WriteString("title", _state.Library.GetTitle(item.Key));
                    w.WriteNumber("state", state);
                    if (metadataState is not null)
                    {
                        w.WriteString("metadataState", metadataState);
                    }

                    if (mediaState is not null)
                    {
                        w.WriteString("mediaState", mediaState);
                    }

                    w.WriteNumber("updatedAt", now);
                    w.WriteEndObject();
                }
            }));
        }
    }

    private void PublishActivity(string eventName, string uuid, EmulatedSection section, int progress) =>
        Publish("activity", Frame("activity", "ActivityNotification", 1, w =>
        {
            w.WriteStartObject();
            w.WriteString("event", eventName);
            w.WriteString("uuid", uuid);
            w.WriteStartObject("Activity");
            w.WriteString("uuid", uuid);
            w.WriteString("type", "library.update.section");
            w.WriteBoolean("cancellable", false);
            w.WriteNumber("userID", 1);
            w.WriteString("title", "Scanning " + section.Title);
            w.WriteString("subtitle", progress == 100 ? "" : "Scanning new files");
            w.WriteNumber("progress", progress);
            w.WriteStartObject("Context");
            w.WriteString("librarySectionID", section.Key);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }));

    private static byte[] Frame(string type, string arrayName, int size, Action<Utf8JsonWriter> writeEntries)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (size * 256));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("NotificationContainer");
            w.WriteString("type", type);
            w.WriteNumber("size", size);
            w.WriteStartArray(arrayName);
            writeEntries(w);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record Item(string Key, string Parent, string Root, int Type);

    private sealed class Client(HttpContext context, WebSocket socket, Filter filter)
    {
        public HttpContext Context { get; } = context;

        public WebSocket Socket { get; } = socket;

        public Filter Filter { get; } = filter;

        // Bounded: a client that stops reading costs at most this many frames, then loses frames (counted).
        public Channel<byte[]> Outbox { get; } = Channel.CreateBounded<byte[]>(
            new BoundedChannelOptions(OutboxCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    }

    /// <summary><c>filters=a,b</c> selects types; <c>filters=-a</c> excludes them (plex-api.md §9b).</summary>
    private sealed class Filter(HashSet<string>? include, HashSet<string>? exclude)
    {
        public static Filter Parse(string? filters)
        {
            if (string.IsNullOrWhiteSpace(filters))
            {
                return new Filter(null, null);
            }

            var parts = filters.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var exclude = parts.Where(p => p.StartsWith('-')).Select(p => p[1..]).ToHashSet(StringComparer.Ordinal);
            var include = parts.Where(p => !p.StartsWith('-')).ToHashSet(StringComparer.Ordinal);
            return new Filter(include.Count > 0 ? include : null, exclude.Count > 0 ? exclude : null);
        }

        public bool Accepts(string type) =>
            type == "raw" || ((include is null || include.Contains(type)) && (exclude is null || !exclude.Contains(type)));
    }
}
