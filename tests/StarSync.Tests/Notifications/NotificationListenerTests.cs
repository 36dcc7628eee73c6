using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using StarSync.Api;
using StarSync.Automation;
using StarSync.Jobs;
using StarSync.Notifications;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Notifications;

/// <summary>
/// The real app listening to the emulator's notification websocket over real HTTP, with no webhook configured
/// unless a test sends one.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NotificationListenerTests
{
    private const string ApiKey = "notification-tests-api-key-5c1e";

    [Fact]
    public async Task Added_album_is_rated_exactly_through_the_websocket_within_the_debounce_window()
    {
        await using var hook = await StartAsync(debounceSeconds: 1);
        var before = hook.Ratings();
        var addedAt = TimeProvider.System.GetUtcNow();

        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 9);

        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        var after = hook.Ratings();
        Assert.All(album.TrackRatingKeys, k => Assert.Equal(6.0, after[k]));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(9, hook.Plex.Counters.RatingWrites);
        var job = Assert.Single(await hook.NewMusicJobsAsync());
        Assert.Equal((JobTrigger.Notification, JobStatus.Succeeded), (job.Trigger, job.Status));
        // Exactly the new tracks: the album is left out because its tracks were announced with it.
        Assert.Equal(album.TrackRatingKeys.Order(), job.Request.ItemKeys!.Order());
        Assert.InRange(job.QueuedAt - addedAt, TimeSpan.Zero, TimeSpan.FromSeconds(NewMusicBatcher.MaxWaitFactor));
        Assert.Equal(0, hook.Notifications.Snapshot().CatchUps);
        Assert.Null(hook.State.LastWebhook);
    }

    [Fact]
    public async Task Scan_of_5000_tracks_in_many_frames_makes_at_most_two_jobs_and_rates_every_new_track()
    {
        await using var hook = await StartAsync(debounceSeconds: 2);
        var before = hook.Ratings();
        var framesBefore = hook.Plex.Notifications.FramesSent;

        var albums = Enumerable.Range(0, 20).Select(_ => hook.Plex.Library.AddAlbum(hook.MusicKey, 250)).ToArray();

        var newTracks = albums.SelectMany(a => a.TrackRatingKeys).ToArray();
        Assert.Equal(5000, newTracks.Length);
        await hook.WaitUntilRatedAndIdleAsync(newTracks, seconds: 180);
        Assert.True(hook.Plex.Notifications.FramesSent - framesBefore > 300, $"{hook.Plex.Notifications.FramesSent - framesBefore} frames");
        var jobs = await hook.NewMusicJobsAsync();
        Assert.InRange(jobs.Count, 1, 2);
        Assert.All(jobs, j => Assert.Equal(JobStatus.Succeeded, j.Status));
        Assert.Equal(newTracks.Order(), jobs.SelectMany(j => j.Request.ItemKeys!).Order());
        var after = hook.Ratings();
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(5000, hook.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task After_Plex_restarts_the_listener_reconnects_and_catches_up_what_was_added_while_it_was_down()
    {
        await using var hook = await StartAsync(config: new() { ["BATCH_SIZE"] = "7" });
        var before = hook.Ratings();

        await hook.Plex.StopServingAsync();
        await Eventually.TrueAsync(() => hook.Notifications.Snapshot().State == ListenerState.Reconnecting, "the listener noticed Plex went away");
        var album = hook.Plex.Library.AddAlbum(hook.MusicKey, 7);
        await Eventually.TrueAsync(() => hook.Plex.Notifications.ScansCompleted == 1, "the scan announced to nobody");
        await hook.Plex.StartServingAsync();

        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        var after = hook.Ratings();
        Assert.All(album.TrackRatingKeys, k => Assert.Equal(6.0, after[k]));
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        var catchUp = Assert.Single(await hook.Journal.GetJobsAsync(10, CancellationToken.None));
        Assert.Equal((JobTrigger.Notification, JobMode.UnratedBatch, JobStatus.Succeeded), (catchUp.Trigger, catchUp.Mode, catchUp.Status));
        var status = hook.Notifications.Snapshot();
        Assert.Equal((ListenerState.Connected, 1L), (status.State, status.CatchUps));
        Assert.Contains(hook.Logs.GetSnapshot(), r => r.Id.Id == 5207);
    }

    [Fact]
    public async Task Refused_token_stops_retries_with_a_clear_status_until_the_token_changes()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var token = new TokenSwitch();
        await using var hook = await StartAsync(config: new() { ["PLEX_TOKEN"] = "revoked-token-123" }, configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(clock);
            b.Services.AddSingleton<IOptionsChangeTokenSource<PlexOptions>>(token);
            b.Services.PostConfigure<PlexOptions>(o => o.Token = token.Value ?? o.Token);
        }, waitConnected: false);

        await Eventually.TrueAsync(() => hook.Notifications.Snapshot().State == ListenerState.Stopped, "the listener stopped on 401");
        clock.Advance(TimeSpan.FromMinutes(30));
        var status = await GetNotificationsStatusAsync(hook);

        Assert.Equal("stopped", status.GetProperty("state").GetString());
        Assert.StartsWith("stopped: Plex refused the token (HTTP 401)", status.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("PLEX_TOKEN", status.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, hook.Plex.Notifications.Requests);
        Assert.Contains(hook.Logs.GetSnapshot(), r => r.Id.Id == 5203);
        Assert.DoesNotContain(hook.Logs.GetSnapshot(), r => r.Message.Contains("revoked-token-123", StringComparison.Ordinal));

        token.Change(hook.Plex.Token);

        await Eventually.TrueAsync(() => hook.Notifications.Snapshot().State == ListenerState.Connected, "listening again with the new token");
        Assert.Equal(2, hook.Plex.Notifications.Requests);
    }

    [Fact]
    public async Task Reconnect_attempts_back_off_exponentially_on_the_time_provider_up_to_60_seconds()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 100, Seed = 5 });
        await plex.StopServingAsync();
        await using var hook = await StartAsync(emulator: null, plexServer: plex, configure: b => b.Services.AddSingleton<TimeProvider>(clock), waitConnected: false);

        var waits = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 9; attempt++)
        {
            await Eventually.TrueAsync(() => hook.Notifications.Snapshot() is { State: ListenerState.Reconnecting } s && s.Attempt == attempt,
                $"attempt {attempt} failed and waits");
            var snapshot = hook.Notifications.Snapshot();
            waits.Add(snapshot.NextAttemptAt!.Value - clock.GetUtcNow());
            if (attempt == 3)
            {
                // The status API's mapping (the API itself would wait on Plex's retries, which run on the fake clock too).
                var summary = snapshot.ToDto(clock.GetUtcNow()).Summary;
                Assert.Matches(@"^reconnecting \(attempt 3, next in [2-4] s\)", summary);
            }

            clock.Advance(waits[^1]);
        }

        for (var i = 0; i < waits.Count; i++)
        {
            var step = Math.Min(Math.Pow(2, i), 60);
            Assert.InRange(waits[i].TotalSeconds, step / 2, step);
        }

        await hook.Plex.StartServingAsync();

        // An attempt already under way when Plex came back may fail and arm its timer after any single Advance,
        // so the fake clock moves on while we poll, until an attempt finds Plex serving.
        await Eventually.TrueAsync(() =>
        {
            if (hook.Notifications.Snapshot().State == ListenerState.Connected)
            {
                return true;
            }

            clock.Advance(TimeSpan.FromSeconds(60));
            return false;
        }, "connected once Plex is back");
    }

    [Fact]
    public async Task Garbage_oversized_unknown_and_deleted_frames_are_skipped_and_counted_and_the_app_keeps_serving()
    {
        await using var hook = await StartAsync(config: new() { ["BATCH_SIZE"] = "3" });
        var before = hook.Ratings();
        var section = hook.MusicKey;
        var oldUnrated = before.First(kv => kv.Value is null).Key;
        var hub = hook.Plex.Notifications;

        hub.Broadcast("this is not JSON {");
        hub.Broadcast("{\"NotificationContainer\":{\"type\":\"timeline\",\"size\":1,\"TimelineEntry\":[{\"title\":\"" +
            new string('x', NotificationListener.MaxFrameBytes) + "\"}]}}");
        hub.Broadcast("""{"NotificationContainer":{"type":"playing","size":3000,"PlaySessionStateNotification":[""" +
            string.Join(",", Enumerable.Repeat("""{"sessionKey":"1","state":"playing"}""", 3000)) + "]}}");
        hub.Broadcast(Timeline(Enumerable.Range(0, 2000).Select(i => Entry("tv.plex.provider.music", section, i.ToString(System.Globalization.CultureInfo.InvariantCulture), 5, null))));
        hub.Broadcast(Timeline([
            Entry("com.plexapp.plugins.library", section, oldUnrated, 0, "created"),
            Entry("com.plexapp.plugins.library", section, oldUnrated, 9, "deleted"),
            Entry("com.plexapp.plugins.library", section, oldUnrated, 5, null)]));
        hub.Broadcast("""{"NotificationContainer":{"type":"reachability","size":1,"ReachabilityNotification":[{"reachability":true}]}}""");
        await Eventually.TrueAsync(() => hook.Notifications.Snapshot().FramesReceived >= 4, "the readable frames were handled");

        var status = hook.Notifications.Snapshot();
        Assert.Equal((2L, 1L, 1L), (status.FramesDropped, status.OversizedFrames, status.MalformedFrames));
        Assert.Equal(ListenerState.Connected, status.State);
        using (var http = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(hook.BaseAddress, "health"))).StatusCode);
        }

        // Frames were lost, so the next scan completion catches up (newest first, BATCH_SIZE 3): the new album.
        var album = hook.Plex.Library.AddAlbum(section, 3);
        await hook.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);
        var after = hook.Ratings();
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Null(after[oldUnrated]);
        Assert.Equal(3, hook.Plex.Counters.RatingWrites);
        Assert.Equal(1, hook.Notifications.Snapshot().CatchUps);
        Assert.DoesNotContain(await hook.NewMusicJobsAsync(), j => j.Request.ItemKeys!.Contains(oldUnrated));
    }

    [Fact]
    public async Task Same_album_by_webhook_and_websocket_gives_one_job_whichever_comes_first()
    {
        await using var hook = await StartAsync(debounceSeconds: 1);

        // Webhook and websocket within one window.
        var first = hook.Plex.Library.AddAlbum(hook.MusicKey, 5);
        Assert.Equal([HttpStatusCode.Accepted], await hook.Plex.Webhooks.SendAlbumArrivedAsync(hook.WebhookUrl, first, perTrack: false, CancellationToken.None));
        await hook.WaitUntilRatedAndIdleAsync(first.TrackRatingKeys);
        Assert.Single(await hook.NewMusicJobsAsync());

        // The webhook arrives after the websocket's job ran.
        var second = hook.Plex.Library.AddAlbum(hook.MusicKey, 4);
        await hook.WaitUntilRatedAndIdleAsync(second.TrackRatingKeys);
        var late = await hook.Plex.Webhooks.SendAlbumArrivedAsync(hook.WebhookUrl, second, perTrack: true, CancellationToken.None);

        Assert.All(late, c => Assert.Equal(HttpStatusCode.Accepted, c));
        Assert.StartsWith("already queued for rating", hook.State.LastWebhook!.Outcome, StringComparison.Ordinal);
        Assert.Equal(2, (await hook.NewMusicJobsAsync()).Count);
        Assert.False(hook.Queue.IsBusy);
        Assert.Equal(9, hook.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Turning_notifications_off_in_settings_disconnects_and_on_reconnects()
    {
        await using var hook = await StartAsync();

        await hook.Settings.UpdateAsync(s => s with { PlexNotifications = false }, CancellationToken.None);
        await Eventually.TrueAsync(() => hook.Notifications.Snapshot().State == ListenerState.Off && hook.Plex.Notifications.ConnectedClients == 0, "off and disconnected");
        Assert.Equal("off", (await GetNotificationsStatusAsync(hook)).GetProperty("summary").GetString());

        await hook.Settings.UpdateAsync(s => s with { PlexNotifications = true }, CancellationToken.None);
        await Eventually.TrueAsync(() => hook.Notifications.Snapshot().State == ListenerState.Connected, "listening again");
    }

    [Theory]
    [InlineData(1, 0.0, 0.5)]
    [InlineData(1, 1.0, 1.0)]
    [InlineData(3, 1.0, 4.0)]
    [InlineData(6, 0.0, 16.0)]
    [InlineData(7, 1.0, 60.0)]
    [InlineData(40, 1.0, 60.0)]
    [InlineData(40, 0.0, 30.0)]
    public void Backoff_doubles_from_one_second_with_jitter_and_is_capped_at_60_seconds(int attempt, double jitter, double seconds) =>
        Assert.Equal(seconds, NotificationListener.Backoff(attempt, jitter).TotalSeconds, precision: 6);

    private static async Task<TestHost> StartAsync(double debounceSeconds = 0.5, Dictionary<string, string?>? config = null,
        Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null, bool waitConnected = true, EmulatorOptions? emulator = null,
        PlexEmulatorServer? plexServer = null)
    {
        var values = new Dictionary<string, string?> { ["API_KEY"] = ApiKey };
        foreach (var (key, value) in config ?? [])
        {
            values[key] = value;
        }

        var builder = TestHost.Create().Webhooks(debounceSeconds, notifications: true).Config(values);
        builder = plexServer is null ? builder.Emulator(emulator) : builder.Plex(plexServer);
        if (configure is not null)
        {
            builder.Services(configure);
        }

        var hook = await builder.StartAsync();
        if (waitConnected)
        {
            await Eventually.TrueAsync(() => hook.Notifications.Snapshot().State == ListenerState.Connected && hook.Plex.Notifications.ConnectedClients == 1,
                "the listener connected");
        }

        return hook;
    }

    private static string Entry(string identifier, string section, string item, int state, string? metadataState) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["identifier"] = identifier, ["sectionID"] = section, ["itemID"] = item, ["type"] = 10, ["state"] = state, ["metadataState"] = metadataState,
        });

    private static string Timeline(IEnumerable<string> entries)
    {
        var list = entries.ToArray();
        return "{\"NotificationContainer\":{\"type\":\"timeline\",\"size\":" + list.Length + ",\"TimelineEntry\":[" + string.Join(",", list) + "]}}";
    }

    private static async Task<JsonElement> GetNotificationsStatusAsync(TestHost hook)
    {
        using var http = new HttpClient { BaseAddress = hook.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        var status = await http.GetFromJsonAsync<JsonElement>("api/v1/status", CancellationToken.None);
        return status.GetProperty("notifications");
    }

    /// <summary>Stands in for a token change at run time (a reloaded PLEX_TOKEN).</summary>
    private sealed class TokenSwitch : IOptionsChangeTokenSource<PlexOptions>
    {
        private CancellationTokenSource _changed = new();

        public string? Value { get; private set; }

        public string Name => Options.DefaultName;

        public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

        public void Change(string token)
        {
            Value = token;
            var old = _changed;
            _changed = new CancellationTokenSource();
            old.Cancel();
        }
    }
}
