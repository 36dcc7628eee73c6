using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StarSync.Jobs;
using StarSync.Plex;
using StarSync.PlexEmulator;
using StarSync.Rating;
using StarSync.Rules;

namespace StarSync.Tests.Rules;

/// <summary>
/// The preview's kept signals against the emulated Plex: a preview served from them equals a fresh pass, later
/// previews read nothing from Plex, and a finished job, Refresh or a library too large for the cap make it read again.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RulesPreviewCacheTests
{
    private const string Key = "rules-cache-tests-key-0123456789";

    /// <summary>Every input: plays, skips, days, length, album tags, live, names, and hand ratings (inherit).</summary>
    private static readonly RatingRule[] Rich =
    [
        new() { Name = "Interludes", When = new() { DurationUnderSeconds = 90 }, Then = new() { Kind = OutcomeKind.Unrated } },
        new() { Name = "Often skipped", When = new() { SkipsAtLeast = 4, PlaysAtMost = 3 }, Then = new() { Kind = OutcomeKind.Fixed, Value = 1 } },
        new() { Name = "Recent favourites", When = new() { PlaysAtLeast = 5, LastPlayedWithinDays = 400 }, Then = new() { Kind = OutcomeKind.Fixed, Value = 4 } },
        new() { Name = "Like the album", Then = new() { Kind = OutcomeKind.Inherit, MinRated = 2 } },
        new() { Name = "Live rock", When = new() { Live = true, AlbumGenres = ["Rock", "Pop"] }, Then = new() { Kind = OutcomeKind.Fixed, Value = 2 } },
        new() { Name = "The artists", When = new() { ArtistContains = "the", AddedWithinDays = 2000 }, Then = new() { Kind = OutcomeKind.Fixed, Value = 5 } },
        new() { Name = "Rest", Then = new() { Kind = OutcomeKind.Fixed, Value = 3 } },
    ];

    private static readonly RatingRule[] DefaultOnly = [new() { Name = "Default", Then = new() { Kind = OutcomeKind.Fixed, Value = 3 } }];

    // What a preview says, without what may differ between two passes over the same library (time taken, where from).
    private static string Shape(RulesPreviewResult result) => JsonSerializer.Serialize(result.Libraries.Select(l =>
        l with { ElapsedMs = 0, SignalsReadAt = default, FromCache = false, NotKept = null }));

    [Fact]
    public async Task A_preview_from_kept_signals_equals_a_fresh_pass_and_reads_no_tracks_from_plex()
    {
        await using var engine = await TestHost.Create()
            .Emulator(new EmulatorOptions { Tracks = 3000, Seed = 21, HandRatedShare = 0.25, MusicLibraries = 2 })
            .AllMusicLibraries().Config("PLEX_PAGE_SIZE", "250").EngineOnly().StartAsync();
        var services = engine.Services;
        // Its own clock, frozen, so "N days ago" in the samples is the same for every pass.
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var cache = new SignalCache(clock, new SignalCacheOptions(), NullLogger<SignalCache>.Instance);
        var preview = new RulesPreview(services.GetRequiredService<IPlexClient>(), services.GetRequiredService<RuleEngine>(),
            services.GetRequiredService<RatingJob>(), cache, clock, services.GetRequiredService<IOptionsMonitor<PlexOptions>>());
        var settings = engine.Settings.Current;
        var requests = engine.Plex.Counters;

        // The first preview of the session (the default rule: no album listing, no hand ratings) reads and keeps.
        var first = await preview.PreviewAsync(settings, DefaultOnly, CancellationToken.None);
        Assert.All(first.Libraries, l => Assert.False(l.FromCache));
        Assert.All(first.Libraries, l => Assert.Null(l.NotKept));
        Assert.Equal(2, cache.Count);

        // Rules that need albums and hand ratings: only those are read, the tracks come from memory.
        clock.Advance(TimeSpan.FromSeconds(40));
        var withInputs = await preview.PreviewAsync(settings, Rich, CancellationToken.None);
        Assert.All(withInputs.Libraries, l => Assert.True(l.FromCache));
        Assert.Equal(40, withInputs.SignalsAgeSeconds);

        var before = requests.Requests;
        await services.GetRequiredService<RatingJob>().SelectedLibrariesAsync(settings, CancellationToken.None);
        var listLibraries = requests.Requests - before;
        before = requests.Requests;
        var warm = await preview.PreviewAsync(settings, Rich, CancellationToken.None);
        Assert.Equal(listLibraries, requests.Requests - before); // nothing but the list of libraries
        Assert.All(warm.Libraries, l => Assert.True(l.FromCache));

        before = requests.Requests;
        var fresh = await preview.PreviewAsync(settings, Rich, refresh: true, CancellationToken.None);
        Assert.True(requests.Requests - before > 12 + listLibraries); // 2 libraries × (unrated pages + albums + rated)
        Assert.All(fresh.Libraries, l => Assert.False(l.FromCache));
        Assert.Equal(0, fresh.SignalsAgeSeconds);

        Assert.Equal(Shape(fresh), Shape(warm));
        Assert.Equal(Shape(fresh), Shape(withInputs));
        // The comparison means something: most rules take tracks (the library's shape varies per process), samples carry signals.
        Assert.InRange(Enumerable.Range(0, Rich.Length).Count(i => fresh.Libraries.Sum(l => l.Rules[i].Count) > 0), 4, Rich.Length);
        Assert.All(fresh.Libraries.SelectMany(l => l.Rules).SelectMany(r => r.Sample), s => Assert.NotEmpty(s.Signals));
        Assert.Equal(0, requests.RatingWrites);
    }

    [Fact]
    public async Task Kept_signals_serve_until_a_job_ends_and_then_the_preview_counts_what_plex_has_now()
    {
        await using var app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 1500, Seed = 22, HandRatedShare = 0.2 })
            .Config("API_KEY", Key).StartAsync();
        using var client = app.CreateApiClient(Key);
        var lib = app.Plex.Library;

        var first = await PreviewAsync(client, new { rules = (object?)null });
        var second = await PreviewAsync(client, new { rules = (object?)null });
        Assert.False(Library(first).GetProperty("fromCache").GetBoolean());
        Assert.True(Library(second).GetProperty("fromCache").GetBoolean());
        var unrated = Library(first).GetProperty("unrated").GetInt32();
        Assert.Equal(unrated, Library(second).GetProperty("unrated").GetInt32());

        // Someone rates a track in Plex: the kept signals do not know yet (the page says how old they are).
        var rated = lib.TrackKeys(app.MusicKey).First(k => lib.GetUserRating(k) is null);
        lib.SetUserRating(rated, 8);
        var stale = await PreviewAsync(client, new { rules = (object?)null });
        Assert.True(Library(stale).GetProperty("fromCache").GetBoolean());
        Assert.Equal(unrated, Library(stale).GetProperty("unrated").GetInt32());

        // A job ends (here one that finds the track rated and leaves it): the signals are dropped and read again.
        var job = await app.RunAsync(JobMode.Items, items: [rated]);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        var after = await PreviewAsync(client, new { rules = (object?)null });
        Assert.False(Library(after).GetProperty("fromCache").GetBoolean());
        Assert.Equal(unrated - 1, Library(after).GetProperty("unrated").GetInt32());
        Assert.Equal(lib.CountUnrated(app.MusicKey), Library(after).GetProperty("unrated").GetInt32());
    }

    [Fact]
    public async Task New_music_announced_by_a_webhook_drops_the_kept_signals()
    {
        await using var app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 1000, Seed = 25 }).Webhooks().Config("API_KEY", Key).StartAsync();
        using var client = app.CreateApiClient(Key);
        await PreviewAsync(client, new { rules = (object?)null });
        Assert.True(Library(await PreviewAsync(client, new { rules = (object?)null })).GetProperty("fromCache").GetBoolean());
        var cache = app.Services.GetRequiredService<SignalCache>();
        var generation = cache.Generation;

        var album = app.Plex.Library.AddAlbum(app.MusicKey, 7);
        Assert.Equal([HttpStatusCode.Accepted], await app.Plex.Webhooks.SendAlbumArrivedAsync(app.WebhookUrl, album, perTrack: false, CancellationToken.None));
        await app.WaitUntilRatedAndIdleAsync(album.TrackRatingKeys);

        // Dropped when the job was queued, when it started and when it ended (the queue is idle a moment before the last).
        await Eventually.TrueAsync(() => cache.Generation >= generation + 3, "the kept signals dropped three times");
        var after = Library(await PreviewAsync(client, new { rules = (object?)null }));
        Assert.False(after.GetProperty("fromCache").GetBoolean());
        Assert.Equal(app.Plex.Library.CountUnrated(app.MusicKey), after.GetProperty("unrated").GetInt32());
    }

    [Fact]
    public async Task Refresh_reads_plex_again_and_a_refresh_that_is_not_a_boolean_is_a_400_naming_it()
    {
        await using var app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 800, Seed = 23 }).Config("API_KEY", Key).StartAsync();
        using var client = app.CreateApiClient(Key);
        await PreviewAsync(client, new { rules = (object?)null });

        var refreshed = await PreviewAsync(client, new { rules = (object?)null, refresh = true });
        Assert.False(Library(refreshed).GetProperty("fromCache").GetBoolean());
        Assert.True(Library(await PreviewAsync(client, new { rules = (object?)null })).GetProperty("fromCache").GetBoolean());

        using var bad = await client.PostAsJsonAsync("/api/v1/rules/preview", new { refresh = "yes" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("true or false", problem.GetProperty("errors").GetProperty("refresh")[0].GetString(), StringComparison.Ordinal);
        using var unknown = await client.PostAsJsonAsync("/api/v1/rules/preview", new { refrsh = true });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True((await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("refrsh", out _));
    }

    [Fact]
    public async Task A_library_too_large_for_the_cap_is_previewed_streamed_each_time_and_the_preview_says_so()
    {
        await using var app = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 1200, Seed = 24, HandRatedShare = 0.2 })
            .Config("API_KEY", Key).Services(b => b.Services.AddSingleton(new SignalCacheOptions { MaxBytes = 20_000 })).StartAsync();
        using var client = app.CreateApiClient(Key);

        var first = Library(await PreviewAsync(client, new { rules = (object?)null }));
        var second = Library(await PreviewAsync(client, new { rules = (object?)null }));

        Assert.Contains("more than the 20 KB the preview may keep", first.GetProperty("notKept").GetString(), StringComparison.Ordinal);
        Assert.False(second.GetProperty("fromCache").GetBoolean());
        Assert.Equal(first.GetProperty("unrated").GetInt32(), second.GetProperty("unrated").GetInt32());
        Assert.Equal(app.Plex.Library.CountUnrated(app.MusicKey), second.GetProperty("unrated").GetInt32());
        Assert.Equal(0, app.Services.GetRequiredService<SignalCache>().Count);
    }

    private static JsonElement Library(JsonElement preview) => Assert.Single(preview.GetProperty("libraries").EnumerateArray());

    private static async Task<JsonElement> PreviewAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/preview", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
