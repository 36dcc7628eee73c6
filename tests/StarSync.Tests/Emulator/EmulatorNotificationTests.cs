using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Emulator;

/// <summary>The notification websocket as PMS serves it (plex-api.md §9b), read by a plain ClientWebSocket.</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorNotificationTests
{
    [Fact]
    public async Task Added_album_is_announced_as_a_scan_created_then_processed_in_batched_frames_then_scan_complete()
    {
        var options = new EmulatorOptions { Tracks = 200, Seed = 3 };
        options.Notifications.MaxEntriesPerFrame = 5;
        await using var plex = await PlexEmulatorServer.StartAsync(options);
        using var ws = await NotificationSocket.ConnectAsync(plex, tokenInQuery: false);

        var album = plex.Library.AddAlbum("1", 12);
        var frames = await ws.ReadUntilScanCompleteAsync();

        var types = frames.Select(f => f.GetProperty("type").GetString()).ToArray();
        Assert.Equal("activity", types[0]);
        Assert.Equal("status", types[^1]);
        Assert.Equal("Library scan complete", frames[^1].GetProperty("StatusNotification")[0].GetProperty("title").GetString());
        var started = frames[0].GetProperty("ActivityNotification")[0];
        Assert.Equal("started", started.GetProperty("event").GetString());
        Assert.Equal("library.update.section", started.GetProperty("Activity").GetProperty("type").GetString());
        Assert.Equal("1", started.GetProperty("Activity").GetProperty("Context").GetProperty("librarySectionID").GetString());

        var timeline = frames.Where(f => f.GetProperty("type").GetString() == "timeline").ToArray();
        Assert.All(timeline, f => Assert.Equal(f.GetProperty("size").GetInt32(), f.GetProperty("TimelineEntry").GetArrayLength()));
        Assert.Contains(timeline, f => f.GetProperty("size").GetInt32() > 1);
        Assert.All(timeline, f => Assert.InRange(f.GetProperty("size").GetInt32(), 1, 5));
        var entries = timeline.SelectMany(f => f.GetProperty("TimelineEntry").EnumerateArray()).ToArray();
        Assert.All(entries, e => Assert.Equal("com.plexapp.plugins.library", e.GetProperty("identifier").GetString()));
        var expected = album.TrackRatingKeys.Append(album.AlbumRatingKey).Order().ToArray();
        string[] KeysAt(int state, bool plain) => entries
            .Where(e => e.GetProperty("state").GetInt32() == state && (!plain || !e.TryGetProperty("mediaState", out _)))
            .Select(e => e.GetProperty("itemID").GetString()!).Order().ToArray();
        Assert.Equal(expected, KeysAt(0, plain: true));
        Assert.Equal(expected, KeysAt(5, plain: true));
        Assert.All(entries.Where(e => e.GetProperty("state").GetInt32() == 0), e => Assert.Equal("created", e.GetProperty("metadataState").GetString()));
        var track = entries.First(e => e.GetProperty("itemID").GetString() == album.TrackRatingKeys[0]);
        Assert.Equal(10, track.GetProperty("type").GetInt32());
        Assert.Equal(album.AlbumRatingKey, track.GetProperty("parentItemID").GetString());
        Assert.Equal("1", track.GetProperty("sectionID").GetString());
        // Created comes before processed for every item.
        var order = entries.Select((e, i) => (Key: e.GetProperty("itemID").GetString(), State: e.GetProperty("state").GetInt32(), i)).ToArray();
        Assert.All(expected, k => Assert.True(order.First(o => o.Key == k && o.State == 0).i < order.First(o => o.Key == k && o.State == 5).i));
        Assert.Equal(1, plex.Notifications.ScansCompleted);
    }

    [Fact]
    public async Task Library_without_an_agent_ends_processing_at_state_1_and_says_so_in_its_section()
    {
        var options = new EmulatorOptions { Tracks = 100, Seed = 4 };
        options.Notifications.SectionsWithoutAgent.Add("1");
        await using var plex = await PlexEmulatorServer.StartAsync(options);
        using var ws = await NotificationSocket.ConnectAsync(plex, tokenInQuery: true);

        plex.Library.AddAlbum("1", 3);
        var frames = await ws.ReadUntilScanCompleteAsync();

        var states = frames.Where(f => f.GetProperty("type").GetString() == "timeline")
            .SelectMany(f => f.GetProperty("TimelineEntry").EnumerateArray()).Select(e => e.GetProperty("state").GetInt32()).Distinct().Order();
        Assert.Equal([0, 1], states);
        using var http = new HttpClient { BaseAddress = plex.BaseUri };
        http.DefaultRequestHeaders.Add("X-Plex-Token", plex.Token);
        Assert.Contains("agent=\"tv.plex.agents.none\"", await http.GetStringAsync("library/sections"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong-token")]
    [InlineData(null)]
    public async Task Bad_or_missing_token_gets_401_before_the_upgrade(string? token)
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 50 });
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("X-Plex-Token", token);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(NotificationSocket.Uri(plex, null), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        Assert.Equal(0, plex.Notifications.Connections);
        Assert.Equal(1, plex.Notifications.Requests);
    }

    [Fact]
    public async Task Refusing_connections_answers_401_even_to_the_right_token_and_a_plain_get_is_a_400()
    {
        var options = new EmulatorOptions { Tracks = 50 };
        options.Notifications.RefuseConnections = true;
        await using var plex = await PlexEmulatorServer.StartAsync(options);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(NotificationSocket.Uri(plex, plex.Token), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);

        options.Notifications.RefuseConnections = false;
        using var http = new HttpClient();
        using var plain = await http.GetAsync(new Uri(plex.BaseUri, ":/websockets/notifications?X-Plex-Token=" + plex.Token), CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
    }

    [Fact]
    public async Task Restart_cuts_open_connections_and_serves_again_on_the_same_address()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 50 });
        using var ws = await NotificationSocket.ConnectAsync(plex, tokenInQuery: false);

        await plex.StopServingAsync();
        var cut = await Record.ExceptionAsync(() => ws.ReadFrameAsync());
        Assert.True(cut is WebSocketException or InvalidOperationException, $"expected the connection to be cut, got {cut}");
        using (var refused = new ClientWebSocket())
        {
            await Assert.ThrowsAnyAsync<Exception>(() => refused.ConnectAsync(NotificationSocket.Uri(plex, plex.Token), CancellationToken.None));
        }

        await plex.StartServingAsync();
        using var again = await NotificationSocket.ConnectAsync(plex, tokenInQuery: true);
        plex.Library.AddAlbum("1", 2);
        Assert.Equal("status", (await again.ReadUntilScanCompleteAsync())[^1].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Garbage_option_sends_an_unreadable_frame_among_the_real_ones_and_drop_cuts_every_client()
    {
        var options = new EmulatorOptions { Tracks = 50 };
        options.Notifications.GarbageEveryFrames = 3;
        await using var plex = await PlexEmulatorServer.StartAsync(options);
        using var ws = await NotificationSocket.ConnectAsync(plex, tokenInQuery: false);

        plex.Library.AddAlbum("1", 4);
        var texts = new List<string>();
        while (texts.Count == 0 || !texts[^1].Contains("Library scan complete", StringComparison.Ordinal))
        {
            texts.Add(await ws.ReadTextAsync());
        }

        Assert.Contains(texts, t => !IsJson(t));
        Assert.Contains(texts, IsJson);
        Assert.Equal(1, plex.Notifications.DropConnections());
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ReadTextAsync());
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A test client of the emulator's notification websocket.</summary>
internal sealed class NotificationSocket : IDisposable
{
    private readonly ClientWebSocket _socket;

    private NotificationSocket(ClientWebSocket socket) => _socket = socket;

    public static Uri Uri(PlexEmulatorServer plex, string? tokenInQuery)
    {
        var builder = new UriBuilder(plex.BaseUri) { Scheme = "ws", Path = "/:/websockets/notifications" };
        if (tokenInQuery is not null)
        {
            builder.Query = "X-Plex-Token=" + tokenInQuery;
        }

        return builder.Uri;
    }

    public static async Task<NotificationSocket> ConnectAsync(PlexEmulatorServer plex, bool tokenInQuery)
    {
        var socket = new ClientWebSocket();
        if (!tokenInQuery)
        {
            socket.Options.SetRequestHeader("X-Plex-Token", plex.Token);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(Uri(plex, tokenInQuery ? plex.Token : null), timeout.Token);
        // The upgrade answer can reach us before the hub has registered the client: wait for it, or an album added
        // at once would be announced to nobody.
        await Eventually.TrueAsync(() => plex.Notifications.ConnectedClients > 0, "the emulator registered the client");
        return new NotificationSocket(socket);
    }

    public async Task<string> ReadTextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("The server closed the connection.");
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(message.ToArray());
    }

    /// <summary>The NotificationContainer of the next frame.</summary>
    public async Task<JsonElement> ReadFrameAsync()
    {
        using var doc = JsonDocument.Parse(await ReadTextAsync());
        return doc.RootElement.GetProperty("NotificationContainer").Clone();
    }

    public async Task<IReadOnlyList<JsonElement>> ReadUntilScanCompleteAsync()
    {
        var frames = new List<JsonElement>();
        while (true)
        {
            var frame = await ReadFrameAsync();
            frames.Add(frame);
            if (frame.GetProperty("type").GetString() == "status")
            {
                return frames;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
