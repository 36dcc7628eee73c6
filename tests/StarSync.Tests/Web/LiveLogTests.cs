// Tests call the logger directly with literal arguments; the cost rule for disabled levels does not apply.
#pragma warning disable CA1873

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StarSync.LiveLog;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Web;

[Trait("Category", "Integration")]
public sealed class LiveLogTests
{
    private const string Category = "StarSync.Tests.LiveLog";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Events_replay_the_buffer_then_stream_live_lines_in_order_and_resume_after_last_event_id()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        var logger = app.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        using var cts = new CancellationTokenSource(Timeout);
        logger.LogInformation("line {Number}", 1);
        logger.LogInformation("line {Number}", 2);

        // Connect: the two earlier lines are replayed, then a new one arrives live.
        using var response = await client.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        var reader = new SseReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.Equal(LiveLogEndpoints.ReadyEvent, (await reader.ReadAsync(cts.Token)).Event);
        var first = await ReadOwnLineAsync(reader, cts.Token);
        var second = await ReadOwnLineAsync(reader, cts.Token);
        logger.LogInformation("line {Number}", 3);
        var third = await ReadOwnLineAsync(reader, cts.Token);

        Assert.Equal(["line 1", "line 2", "line 3"], [first.Entry.Message, second.Entry.Message, third.Entry.Message]);
        Assert.True(first.Entry.Id < second.Entry.Id && second.Entry.Id < third.Entry.Id);
        Assert.Equal(second.Entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), second.Event.Id);

        // Reconnect as EventSource does, with the last id seen: only what came after it.
        logger.LogInformation("line {Number}", 4);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Add("Last-Event-ID", second.Event.Id);
        using var resumed = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var resumedReader = new SseReader(await resumed.Content.ReadAsStreamAsync(cts.Token));
        var afterSecond = new[] { await ReadOwnLineAsync(resumedReader, cts.Token), await ReadOwnLineAsync(resumedReader, cts.Token) };

        Assert.Equal(["line 3", "line 4"], afterSecond.Select(l => l.Entry.Message));

        // A fresh EventSource passes the id in the query string instead.
        using var byQuery = await client.GetAsync($"/api/v1/events?lastEventId={third.Event.Id}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var queryReader = new SseReader(await byQuery.Content.ReadAsStreamAsync(cts.Token));
        Assert.Equal("line 4", (await ReadOwnLineAsync(queryReader, cts.Token)).Entry.Message);
    }

    [Fact]
    public async Task Two_tabs_see_the_same_stream_including_published_events_without_ids()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync();
        var bus = app.App.Services.GetRequiredService<IEventBus>();
        var feed = app.App.Services.GetRequiredService<LiveFeed>();
        using var cts = new CancellationTokenSource(Timeout);

        using var tab1 = await client.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var tab2 = await client.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var readers = new[] { new SseReader(await tab1.Content.ReadAsStreamAsync(cts.Token)), new SseReader(await tab2.Content.ReadAsStreamAsync(cts.Token)) };
        foreach (var reader in readers)
        {
            await reader.ReadUntilAsync(e => e.Event == LiveLogEndpoints.ReadyEvent, cts.Token);
        }

        // "ready" goes out only once the tab is subscribed, so the event below reaches both.
        Assert.Equal(2, feed.SubscriberCount);
        bus.Publish(LiveEventTypes.Progress, new { JobId = 7, Done = 3, Total = 10 });

        foreach (var reader in readers)
        {
            var progress = await reader.ReadUntilAsync(e => e.Event == LiveEventTypes.Progress, cts.Token);
            Assert.Null(progress.Id);
            Assert.Equal("""{"jobId":7,"done":3,"total":10}""", progress.Data);
        }

        // Tabs closed while the server waits for the next event: both subscriptions are released.
        tab1.Dispose();
        tab2.Dispose();
        await Eventually.TrueAsync(() => feed.SubscriberCount == 0, "the closed tabs' subscriptions to be released");
    }

    [Fact]
    public async Task Plex_token_and_password_are_masked_in_the_live_log()
    {
        const string token = "PlexTok3n-abcdef123456";
        const string password = "s3cret-pass-word!";
        await using var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["PLEX_TOKEN"] = token, ["APP_PASSWORD"] = password }).StartAsync();
        var logger = app.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);

        logger.LogWarning("GET {Url} failed", "http://plex:32400/library/sections?X-Plex-Token=other-token-999&type=10");
        logger.LogInformation("Configured token {Token} and password {Password}", token, password);
        logger.LogError(new HttpRequestException($"Connection refused (plex:32400/?X-Plex-Token={token})"), "Plex unreachable");

        var live = app.App.Services.GetRequiredService<LiveFeed>().Snapshot().Where(e => e.Category == Category).ToList();
        var liveText = string.Join('\n', live.Select(e => e.Message + " " + e.Exception));
        Assert.Equal(3, live.Count);
        Assert.Contains("X-Plex-Token=[redacted]&type=10", liveText, StringComparison.Ordinal);
        Assert.Contains("Configured token [redacted] and password [redacted]", liveText, StringComparison.Ordinal);
        Assert.Contains("HttpRequestException: Connection refused", liveText, StringComparison.Ordinal);
        AssertNoSecrets(liveText, token, password);
    }

    [Fact]
    public async Task Log_file_masks_secrets_and_can_be_downloaded()
    {
        const string token = "PlexTok3n-abcdef123456";
        var root = Directory.CreateTempSubdirectory("starsync-test-").FullName;
        try
        {
            await using (var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["PLEX_TOKEN"] = token }).InDirectory(root).StartAsync())
            {
                var logger = app.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
                logger.LogWarning("GET {Url} failed", "http://plex:32400/?X-Plex-Token=" + token);
                logger.LogInformation("token is {Token}", token);
            }

            var files = Directory.GetFiles(Path.Combine(root, "logs"), "starsync*.log");
            var text = string.Concat(files.Select(File.ReadAllText));
            Assert.Single(files);
            Assert.Contains($"[WRN] {Category}: GET http://plex:32400/?X-Plex-Token=[redacted] failed", text, StringComparison.Ordinal);
            Assert.Contains("token is [redacted]", text, StringComparison.Ordinal);
            AssertNoSecrets(text, token);

            await using var again = await TestHost.Create().InDirectory(root).StartAsync();
            using var client = await again.CreateLoggedInClientAsync();
            using var download = await client.GetAsync("/api/v1/logs/download");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("text/plain", download.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("starsync-", download.Content.Headers.ContentDisposition?.FileName, StringComparison.Ordinal);
            Assert.Contains("token is [redacted]", await download.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Live_log_keeps_StarSync_lines_and_only_warnings_from_others()
    {
        await using var app = await TestHost.Create().StartAsync();
        var factory = app.App.Services.GetRequiredService<ILoggerFactory>();
        factory.CreateLogger("Microsoft.AspNetCore.Routing.Test").LogInformation("framework chatter");
        factory.CreateLogger("System.Net.Http.Test").LogWarning("framework warning");
        factory.CreateLogger(Category).LogInformation("own line");

        var messages = app.App.Services.GetRequiredService<LiveFeed>().Snapshot().Select(e => e.Message).ToList();

        Assert.DoesNotContain("framework chatter", messages);
        Assert.Contains("framework warning", messages);
        Assert.Contains("own line", messages);
    }

    [Fact]
    public async Task Flask_secret_key_is_accepted_and_reported_as_no_longer_needed()
    {
        await using var app = await TestHost.Create().Config(new Dictionary<string, string?> { ["FLASK_SECRET_KEY"] = "old-flask-secret" }).StartAsync();

        var line = app.App.Services.GetRequiredService<LiveFeed>().Snapshot().Single(e => e.Message.StartsWith("FLASK_SECRET_KEY", StringComparison.Ordinal));

        Assert.Equal("Information", line.Level);
        Assert.Contains(Path.Combine(app.ConfigDirectory, "keys"), line.Message, StringComparison.Ordinal);
    }

    private static void AssertNoSecrets(string text, params string[] secrets)
    {
        foreach (var secret in secrets.Append("other-token-999"))
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private static async Task<(SseEvent Event, LiveLogEntry Entry)> ReadOwnLineAsync(SseReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var e = await reader.ReadUntilAsync(e => e.Event == LiveEventTypes.Log, cancellationToken);
            var entry = JsonSerializer.Deserialize<LiveLogEntry>(e.Data, JsonSerializerOptions.Web)!;
            if (entry.Category == Category)
            {
                return (e, entry);
            }
        }
    }
}
