using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.PlexEmulator;
using StarSync.Rating;

namespace StarSync.Tests.Engine;

/// <summary>Issue 11: bulk-edit writes, their verification, auto mode's fallback, undo, and faults, over real HTTP.</summary>
[Trait("Category", "Integration")]
public sealed class WritePathTests
{
    private const string RateRoute = "/:/rate";

    private static Dictionary<string, string?> Config(string mode, params (string Key, string Value)[] more)
    {
        var config = new Dictionary<string, string?> { ["WRITE_MODE"] = mode, ["PLEX_PAGE_SIZE"] = "1000" };
        foreach (var (key, value) in more)
        {
            config[key] = value;
        }

        return config;
    }

    private static EmulatorOptions Library(int tracks, double handRated = 0.2, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { Tracks = tracks, Seed = 11, HandRatedShare = handRated };
        configure?.Invoke(options);
        return options;
    }

    // Faults here are on purpose (dropped long URLs, injected 500s); only the dead-server test lets the breaker open.
    private static void NoBreaker(Microsoft.AspNetCore.Builder.WebApplicationBuilder b) =>
        b.Services.Configure<StarSync.Plex.PlexResilienceOptions>(o => o.CircuitBreakerMinimumThroughput = 10_000);

    private static string? WritePath(TestHost engine) =>
        engine.App.Services.GetRequiredService<WritePathState>().Current?.Description;

    [Fact]
    public async Task Batch_mode_rates_a_20k_library_exactly_and_journals_each_batch_pending_before_its_bulk_edit()
    {
        var watch = new BulkEditWatch();
        await using var engine = await TestHost.Create().Emulator(Library(20_000)).Config(Config("batch"))
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(sp => watch.Attach(sp)))).EngineOnly().StartAsync();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.All(before.Where(kv => kv.Value is null), kv => Assert.Equal(6.0, after[kv.Key]));
        Assert.All(before.Where(kv => kv.Value is not null), kv => Assert.Equal(kv.Value, after[kv.Key])); // no hand rating touched
        Assert.Equal(before.Count(kv => kv.Value is null), job.Counts.Rated);
        Assert.Equal(0, engine.Plex.Counters.RequestsFor(RateRoute));
        Assert.True(watch.BulkEdits >= before.Count(kv => kv.Value is null) / 500, $"{watch.BulkEdits} bulk edits");
        Assert.Empty(watch.Violations);
        var changes = await engine.ChangesAsync(job.Id);
        Assert.All(changes, c => Assert.Equal(ChangeState.Applied, c.State));
        Assert.All(changes, c => Assert.Equal("bulk edit, confirmed by reading it back", c.Error));
    }

    [Fact]
    public async Task Pages_are_listed_while_earlier_pages_are_written_and_no_track_is_skipped_or_written_twice()
    {
        // A slow single writer (about 100 ms per bulk edit of 100): pages are listed (from the end of the unrated set
        // back) while the pages after them are still being written, and faults (some bulk edits fail and go one by one)
        // must not make the run skip or repeat a track.
        var watch = new ListingWatch();
        await using var engine = await TestHost.Create().Emulator(Library(4000, configure: o =>
            {
                o.Latency.SerializeWrites = true;
                o.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(3);
                o.Latency.PerRatedItem = TimeSpan.FromMilliseconds(1);
            }))
            .Config(Config("batch", ("PLEX_PAGE_SIZE", "400"), ("WRITE_BATCH_SIZE", "100")))
            .Services(NoBreaker)
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new ListingWatch.Handler(watch)))).EngineOnly().StartAsync();
        engine.Plex.Options.Faults.ServerErrorRate = 0.03;
        var before = engine.Ratings();
        var unrated = before.Where(kv => kv.Value is null).Select(kv => kv.Key).ToHashSet();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(watch.ListedDuringBulkEdit > 0, "no page was listed while a bulk edit was in flight");
        Assert.All(unrated, key => Assert.Equal(6.0, after[key]));
        Assert.All(before.Where(kv => kv.Value is not null), kv => Assert.Equal(kv.Value, after[kv.Key])); // no hand rating touched
        var changes = await engine.ChangesAsync(job.Id);
        var twice = changes.GroupBy(c => c.RatingKey).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, "journaled more than once: " + string.Join(", ", twice.Take(10)));
        Assert.Equal(unrated.OrderBy(k => k), changes.Select(c => c.RatingKey).OrderBy(k => k));
        Assert.All(changes, c => Assert.Equal(ChangeState.Applied, c.State));
        Assert.Equal(unrated.Count, job.Counts.Rated);
    }

    [Fact]
    public async Task Tracks_rated_by_hand_during_a_run_move_the_places_but_no_track_is_skipped_or_written_twice()
    {
        // Someone rates tracks at the start of the set while StarSync works back from its end: every place after them
        // moves up, so the next listing shows tracks of pages already taken again, still unrated while their bulk edits
        // wait for the slow single writer (about 100 ms each). They must be dropped, not rated twice.
        await using var engine = await TestHost.Create().Emulator(Library(3000, configure: o =>
            {
                o.Latency.SerializeWrites = true;
                o.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(3);
                o.Latency.PerRatedItem = TimeSpan.FromMilliseconds(1);
            }))
            .Config(Config("batch", ("PLEX_PAGE_SIZE", "300"), ("WRITE_BATCH_SIZE", "100"))).EngineOnly().StartAsync();
        var before = engine.Ratings();
        var byHand = new Queue<string>(before.Where(kv => kv.Value is null).Select(kv => kv.Key).OrderBy(int.Parse).Take(18));
        var handRated = new ConcurrentBag<string>();
        var writes = 0;
        engine.Plex.Options.BeforeRatingWrite = _ =>
        {
            // Before the 2nd, 4th and 6th writes (the first two pages of ten), six tracks at the very start of the set
            // get a hand rating. The start is listed last, long after (a rating given after its page was listed is a
            // race no tool can win).
            if (Interlocked.Increment(ref writes) is 2 or 4 or 6)
            {
                lock (byHand)
                {
                    for (var i = 0; i < 6 && byHand.TryDequeue(out var key); i++)
                    {
                        engine.Plex.Library.SetUserRating(key, 2);
                        handRated.Add(key);
                    }
                }
            }

            return Task.CompletedTask;
        };

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(18, handRated.Count);
        Assert.All(handRated, key => Assert.Equal(2.0, after[key]));
        var unrated = before.Where(kv => kv.Value is null && !handRated.Contains(kv.Key)).Select(kv => kv.Key).ToHashSet();
        Assert.All(unrated, key => Assert.Equal(6.0, after[key]));
        var changes = await engine.ChangesAsync(job.Id);
        var twice = changes.GroupBy(c => c.RatingKey).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, "journaled more than once: " + string.Join(", ", twice.Take(10)));
        Assert.Equal(unrated.Count, job.Counts.Rated);
    }

    [Theory]
    [InlineData("batch", 300)]
    [InlineData("single", 300)] // the first page (RatingJob.FirstPageSize, 100) is sent whole; the next ones are capped
    [InlineData("single", 50)] // the first page is capped too
    public async Task A_server_that_sends_shorter_pages_than_asked_is_listed_in_pages_it_sends_whole(string mode, int cap)
    {
        // Plex may force paging (plex-api.md §4): pages of 1,000 asked, 300 sent. Working back from the end, a short
        // page must be listed again at the size the server sends, or the places between would be skipped.
        await using var engine = await TestHost.Create().Emulator(Library(2500, configure: o => o.MaxPageSize = cap))
            .Config(Config(mode)).EngineOnly().StartAsync();
        var before = engine.Ratings();
        var unrated = before.Where(kv => kv.Value is null).Select(kv => kv.Key).ToHashSet();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.All(unrated, key => Assert.Equal(6.0, after[key]));
        Assert.All(before.Where(kv => kv.Value is not null), kv => Assert.Equal(kv.Value, after[kv.Key]));
        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(unrated.OrderBy(k => k), changes.Select(c => c.RatingKey).OrderBy(k => k));
        Assert.Equal(unrated.Count, job.Counts.Rated);
    }

    [Fact]
    public async Task A_listing_that_ignores_the_start_place_stops_the_job_before_anything_is_written_and_says_why()
    {
        // Pages are taken from the end of the set back, which needs X-Plex-Container-Start honoured. A proxy that drops
        // the header makes Plex answer from place 0: StarSync must stop, not rate the wrong page, and name the header.
        await using var engine = await TestHost.Create().Emulator(Library(2500)).Config(Config("batch"))
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new DropStartHeader()))).EngineOnly().StartAsync();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("X-Plex-Container-Start", job.Error, StringComparison.Ordinal);
        Assert.Equal(before, engine.Ratings());
        Assert.Equal(0, engine.Plex.Counters.BulkEdits);
        Assert.Empty(await engine.ChangesAsync(job.Id));
    }

    private sealed class DropStartHeader : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove("X-Plex-Container-Start");
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task Batch_mode_on_a_server_that_ignores_bulk_edits_rates_every_track_through_rate_and_says_why()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600, configure: o => o.BulkEdit.Ignore = true)).Config(Config("batch")).EngineOnly().StartAsync();
        var unrated = engine.Ratings().Count(kv => kv.Value is null);

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(unrated, engine.Plex.Counters.RequestsFor(RateRoute));
        var changes = await engine.ChangesAsync(job.Id);
        Assert.All(changes, c => Assert.Equal(ChangeState.Applied, c.State));
        Assert.All(changes, c => Assert.Equal("bulk edit did not take (Plex has unrated); written with /:/rate", c.Error));
    }

    [Theory]
    [InlineData(UrlTooLongAnswer.Status414)]
    [InlineData(UrlTooLongAnswer.Status400)]
    [InlineData(UrlTooLongAnswer.Drop)]
    public async Task Batch_mode_splits_batches_whose_url_is_refused_and_fails_no_track(UrlTooLongAnswer answer)
    {
        // 150 characters: listings, /:/rate and read-backs of up to ~25 keys fit; a bulk edit of 500 does not.
        await using var engine = await TestHost.Create().Emulator(Library(600, configure: o => { o.MaxUrlLength = 150; o.UrlTooLong = answer; })).Config(Config("batch"))
            .Services(NoBreaker).EngineOnly().StartAsync();
        var unrated = engine.Ratings().Count(kv => kv.Value is null);

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(unrated, job.Counts.Rated);
        Assert.Equal(0, job.Counts.Failed);
        Assert.True(engine.Plex.Counters.UrlsTooLong > 0);
        Assert.True(engine.Plex.Counters.BulkEdits > 10, $"{engine.Plex.Counters.BulkEdits} bulk edits");
    }

    [Fact]
    public async Task Auto_verifies_a_small_batch_then_batches_and_keeps_the_verdict_for_this_server()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600)).Config(Config("auto")).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(0, engine.Plex.Counters.RequestsFor(RateRoute));
        Assert.Equal("Batched writes, verified on this server", WritePath(engine));
        var verdict = engine.App.Services.GetRequiredService<WriteVerdictStore>()
            .Get($"{engine.Plex.MachineIdentifier}/{engine.Plex.Options.Version}");
        Assert.True(verdict?.Bulk);
    }

    [Fact]
    public async Task Auto_falls_back_to_one_write_per_track_when_plex_refuses_bulk_edits_and_remembers_it_until_plex_is_upgraded()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600, configure: o => o.BulkEdit.Refuse = true)).Config(Config("auto")).EngineOnly().StartAsync();
        var unrated = engine.Ratings().Count(kv => kv.Value is null);

        var first = await engine.RunAsync(JobMode.All);
        var message = WritePath(engine);
        engine.Plex.Library.AddAlbum(engine.MusicKey, 10);
        var second = await engine.RunAsync(JobMode.All);
        var bulkAfterSecond = BulkPuts(engine);
        engine.Plex.Options.Version = "1.42.0.0000-upgrade";
        engine.Plex.Library.AddAlbum(engine.MusicKey, 10);
        await engine.RunAsync(JobMode.All);

        Assert.True(first.Status == JobStatus.Succeeded, first.Error);
        Assert.Equal(unrated, first.Counts.Rated);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal("One write per track: Plex refused bulk edits (403)", message);
        Assert.Equal(10, second.Counts.Rated);
        Assert.Equal(1, bulkAfterSecond); // the verdict was kept: the second run did not ask again
        Assert.Equal(2, BulkPuts(engine)); // a new Plex version is checked again
    }

    [Fact]
    public async Task Auto_falls_back_when_plex_answers_200_but_ignores_the_bulk_edit()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600, configure: o => o.BulkEdit.Ignore = true)).Config(Config("auto")).EngineOnly().StartAsync();
        var unrated = engine.Ratings().Count(kv => kv.Value is null);

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(1, BulkPuts(engine));
        Assert.Equal(unrated, engine.Plex.Counters.RequestsFor(RateRoute));
        Assert.Equal("One write per track: Plex ignored a bulk edit (the tracks kept their ratings)", WritePath(engine));
    }

    [Fact]
    public async Task Auto_falls_back_when_a_bulk_edit_locks_the_field()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600, configure: o => o.BulkEdit.AlwaysLock = true)).Config(Config("auto")).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(1, BulkPuts(engine));
        Assert.Equal("One write per track: Plex locked the rating field on a bulk edit", WritePath(engine));
    }

    [Fact]
    public async Task Auto_falls_back_when_plex_caps_bulk_edits_at_one_track()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600, configure: o => o.BulkEdit.MaxIds = 1)).Config(Config("auto")).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(0, job.Counts.Failed);
        Assert.Equal("One write per track: Plex refused bulk edits of more than one track (HTTP 414)", WritePath(engine));
    }

    [Fact]
    public async Task Undo_after_a_batched_override_run_restores_every_prior_value_and_skips_tracks_rated_by_hand_since()
    {
        await using var engine = await TestHost.Create().Emulator(Library(2000, handRated: 0.4)).Config(Config("auto", ("OVERRIDE_RATING", "true"))).EngineOnly().StartAsync();
        var before = engine.Ratings();
        var rate = await engine.RunAsync(JobMode.All);
        var byHand = before.Keys.Where((_, i) => i % 97 == 0).Take(7).ToList();
        foreach (var key in byHand)
        {
            engine.Plex.Library.SetUserRating(key, 9);
        }

        engine.Plex.Counters.Reset();
        var undo = await engine.RunAsync(JobMode.Undo, undo: rate.Id);

        var after = engine.Ratings();
        Assert.True(undo.Status == JobStatus.Succeeded, undo.Error);
        Assert.True(rate.Counts.Rated + rate.Counts.Updated > 1000);
        Assert.All(before.Keys.Except(byHand), k => Assert.Equal(before[k], after[k]));
        Assert.All(byHand, k => Assert.Equal(9.0, after[k]));
        var skipped = (await engine.ChangesAsync(undo.Id)).Where(c => c.State == ChangeState.Skipped).Select(c => c.RatingKey).ToHashSet();
        var rateChanges = (await engine.ChangesAsync(rate.Id)).Where(c => c.State == ChangeState.Applied).Select(c => c.RatingKey).ToHashSet();
        // Skipped: tracks the run changed and a person re-rated since. One re-rated to exactly its old value is
        // already restored (exact either way), not skipped.
        Assert.True(byHand.Where(k => rateChanges.Contains(k) && before[k] != 9.0).ToHashSet().SetEquals(skipped),
            "skipped: " + string.Join(",", skipped.Order()) + "; by hand: " + string.Join(",", byHand.Select(k => $"{k}={before[k]}/{(rateChanges.Contains(k) ? "changed" : "untouched")}")));
        Assert.True(engine.Plex.Counters.BulkEdits > 2, "restores travel in bulk edits grouped by old value");
    }

    [Fact]
    public async Task Ten_percent_faults_on_every_route_finish_with_every_track_rated()
    {
        // Small pages and batches, so that a run makes a few hundred requests and meets a few dozen faults.
        await using var engine = await TestHost.Create().Emulator(Library(3000)).Config(Config("auto", ("PLEX_PAGE_SIZE", "100"), ("WRITE_BATCH_SIZE", "25")))
            .Services(NoBreaker).EngineOnly().StartAsync();
        engine.Plex.Options.Faults.ServerErrorRate = 0.05;
        engine.Plex.Options.Faults.DropConnectionRate = 0.05;
        var before = engine.Ratings();
        var unrated = before.Count(kv => kv.Value is null);

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error}");
        Assert.True(engine.Plex.Counters.ServerErrorsInjected + engine.Plex.Counters.ConnectionsDropped > 10,
            $"{engine.Plex.Counters.ServerErrorsInjected} errors and {engine.Plex.Counters.ConnectionsDropped} drops in {engine.Plex.Counters.Requests} requests");
        var notApplied = (await engine.ChangesAsync(job.Id)).Where(c => c.State != ChangeState.Applied).ToList();
        Assert.True(notApplied.Count == 0, string.Join("; ", notApplied.Select(c => $"{c.RatingKey} {c.State}: {c.Error}")));
        // Random drops are not taken for "URL too long": the run stays batched instead of sliding into one write per
        // track (where each of thousands of writes had its own chance to run out of retries: the old flake).
        Assert.Equal("Batched writes, verified on this server", WritePath(engine));
        Assert.True(engine.Plex.Counters.RequestsFor(RateRoute) < unrated / 10, $"{engine.Plex.Counters.RequestsFor(RateRoute)} single writes for {unrated} tracks");
        Assert.All(before.Where(kv => kv.Value is null), kv => Assert.Equal(6.0, after[kv.Key]));
        Assert.All(before.Where(kv => kv.Value is not null), kv => Assert.Equal(kv.Value, after[kv.Key]));
    }

    [Fact]
    public async Task Auto_keeps_bulk_edits_when_faults_hit_its_probe_and_the_probe_read_back()
    {
        // Small pages: without the fix, each failed probe sent its page one by one, and the third "decided" single.
        await using var engine = await TestHost.Create().Emulator(Library(600)).Config(Config("auto", ("PLEX_PAGE_SIZE", "100")))
            .Services(NoBreaker).EngineOnly().StartAsync();
        var faults = engine.Plex.Options.Faults;
        // The probe's bulk edit is dropped twice in a row (a 2-track URL is not "too long"), then answered 500; then
        // its read-backs fail for good, twice (4 tries each in tests: 1 + MaxRetryAttempts).
        faults.FailNext("PUT", "/library/sections/", 2, ScriptedFault.DropConnection);
        faults.FailNext("PUT", "/library/sections/", 1, ScriptedFault.ServerError);
        faults.FailNext("GET", "/library/metadata/", 8, ScriptedFault.ServerError);
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, faults.ScriptedFaultsLeft);
        Assert.Equal("Batched writes, verified on this server", WritePath(engine));
        Assert.All(before.Where(kv => kv.Value is null), kv => Assert.Equal(6.0, after[kv.Key]));
        Assert.All(before.Where(kv => kv.Value is not null), kv => Assert.Equal(kv.Value, after[kv.Key]));
        var notApplied = (await engine.ChangesAsync(job.Id)).Where(c => c.State != ChangeState.Applied).ToList();
        Assert.True(notApplied.Count == 0, string.Join("; ", notApplied.Select(c => $"{c.RatingKey} {c.State}: {c.Error}")));
        // At most the first probe's two tracks went one by one (its retries ran out); everything else in bulk.
        Assert.InRange(engine.Plex.Counters.RequestsFor(RateRoute), 0, ChangeWriter.ProbeSize);
    }

    [Fact]
    public async Task A_bulk_edit_gives_its_write_slot_back_when_plex_answers_so_the_next_one_goes_during_its_read_back()
    {
        // One write in flight. The first read-back is held until another bulk edit arrives: that can only happen if the
        // slot was given back when the PUT was answered (before, the slot covered the read-back too, and the writer idled).
        var watch = new ReadBackHold();
        await using var engine = await TestHost.Create().Emulator(Library(1000, handRated: 0)).Config(Config("batch", ("WRITE_CONCURRENCY", "1"), ("WRITE_BATCH_SIZE", "100")))
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new ReadBackHold.Handler(watch)))).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(watch.BulkEditDuringReadBack, "no bulk edit was sent while a read-back was in flight");
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(1000, job.Counts.Rated);
    }

    [Fact]
    public async Task A_batch_dropped_twice_whose_url_is_no_longer_than_one_plex_answered_keeps_the_batch_size()
    {
        // Random drops say nothing about the URL when Plex already answered one as long: before, two drops in a row
        // halved the batch size for the rest of the run (the 10%-faults bench row fell to bulk edits of ~12).
        var drops = new DropOneBatchTwice();
        await using var engine = await TestHost.Create().Emulator(Library(2000, handRated: 0)).Config(Config("batch", ("WRITE_BATCH_SIZE", "100")))
            .Services(NoBreaker)
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new DropOneBatchTwice.Handler(drops)))).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(2, drops.Dropped);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(2000, job.Counts.Rated);
        Assert.Equal(0, engine.Plex.Counters.RequestsFor(RateRoute));
        Assert.True(drops.Sizes.All(n => n == 100), "bulk edits of " + string.Join(",", drops.Sizes.Distinct()));
    }

    [Fact]
    public async Task Many_long_batches_dropped_at_once_for_their_url_do_not_count_as_a_dead_server()
    {
        // 40 bulk edits of 25 per page, 32 in flight, each URL too long for the proxy (dropped): more than
        // MaxConsecutiveFailures drops at once, long before any retry (2 s backoff). They say nothing about the server,
        // so they must not stop the run (before, each first drop counted, and was forgiven only at its retry).
        await using var engine = await TestHost.Create()
            .Emulator(Library(3000, handRated: 0, configure: o => { o.MaxUrlLength = 150; o.UrlTooLong = UrlTooLongAnswer.Drop; }))
            .Config(Config("batch", ("WRITE_BATCH_SIZE", "25"), ("WRITE_CONCURRENCY", "32")))
            .Services(NoBreaker)
            .Services(b => b.Services.Configure<StarSync.Plex.PlexResilienceOptions>(o => { o.RetryBaseDelay = TimeSpan.FromSeconds(2); o.RetryMaxDelay = TimeSpan.FromSeconds(4); }))
            .EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(engine.Plex.Counters.UrlsTooLong > ChangeWriter.MaxConsecutiveFailures, $"{engine.Plex.Counters.UrlsTooLong} dropped");
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(3000, job.Counts.Rated);
        Assert.Equal(0, engine.Plex.Counters.RequestsFor(RateRoute));
    }

    [Fact]
    public async Task Single_mode_with_ten_percent_faults_finishes_with_every_track_rated()
    {
        await using var engine = await TestHost.Create().Emulator(Library(1000)).Config(Config("single")).Services(NoBreaker).EngineOnly().StartAsync();
        engine.Plex.Options.Faults.ServerErrorRate = 0.05;
        engine.Plex.Options.Faults.DropConnectionRate = 0.05;

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.Equal(0, engine.Plex.Counters.BulkEdits);
        Assert.Equal("One write per track (WRITE_MODE=single)", WritePath(engine));
    }

    [Fact]
    public async Task Single_mode_journals_each_track_pending_before_its_write_and_marks_outcomes_while_the_page_is_still_being_written()
    {
        // One page of ~800 unrated tracks. The write after MarkBatch + 64 others is held until the journal shows MarkBatch
        // applied rows: outcomes are marked in batches as the writes go on, not all when the page ends. The concurrency is
        // pinned: an adaptive limit cut to 1 by a loaded machine's latency would leave the held write the only slot.
        var watch = new RateWatch(holdAt: ChangeWriter.MarkBatch + (2 * WriteLimiter.MaxLimit) + 1, appliedWhileHeld: ChangeWriter.MarkBatch);
        await using var engine = await TestHost.Create().Emulator(Library(1000)).Config(Config("single", ("WRITE_CONCURRENCY", "8")))
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(sp => watch.Attach(sp)))).EngineOnly().StartAsync();
        var unrated = engine.Plex.Library.CountUnrated(engine.MusicKey);

        var job = await engine.RunAsync(JobMode.All);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.True(watch.Held, "the held write was reached");
        Assert.Empty(watch.Violations);
        Assert.Equal(unrated, watch.Writes);
        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(unrated, changes.Count);
        Assert.All(changes, c => Assert.Equal(ChangeState.Applied, c.State));
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
    }

    [Fact]
    public async Task Single_mode_cancelled_mid_page_journals_every_planned_track_once_and_leaves_none_pending()
    {
        // Pending rows go in growing chunks ahead of the writes; a cancel after 100 writes of a page of ~800 leaves part of
        // the page never journaled as pending. Each planned track still gets one row: applied if Plex has it, else failed.
        using var cancelled = new CancellationTokenSource();
        var watch = new RateWatch(onWrite: n =>
        {
            if (n == 100)
            {
                cancelled.Cancel();
            }
        });
        await using var engine = await TestHost.Create().Emulator(Library(1000)).Config(Config("single"))
            .Services(b => b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(sp => watch.Attach(sp)))).EngineOnly().StartAsync();
        var before = engine.Ratings();
        var unrated = before.Count(kv => kv.Value is null);

        var run = engine.Executor.RunToCompletionAsync(new JobRequest(JobTrigger.Manual, JobMode.All), null, CancellationToken.None);
        await Task.WhenAny(run, Task.Delay(Timeout.Infinite, cancelled.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        await engine.Queue.CancelAsync(null, CancellationToken.None);
        var job = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(JobStatus.Cancelled, job.Status);
        Assert.Empty(watch.Violations);
        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(unrated, changes.Count); // the whole page, once each
        Assert.Equal(unrated, changes.Select(c => c.RatingKey).Distinct().Count());
        Assert.DoesNotContain(changes, c => c.State == ChangeState.Pending);
        Assert.Contains(changes, c => c.State == ChangeState.Failed && c.Error == "cancelled before it was sent");
        foreach (var change in changes)
        {
            Assert.Equal(change.State == ChangeState.Applied ? change.NewValue : null, engine.Plex.Library.GetUserRating(change.RatingKey));
        }
    }

    // The cost model is made large (20 ms per write) so that it, not a loaded test machine's timer noise, decides.
    private static EmulatorOptions CostModel(int tracks, bool singleWriter) => Library(tracks, handRated: 0, configure: o =>
    {
        o.Latency.PerRequest = TimeSpan.FromMilliseconds(2);
        o.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(20);
        o.Latency.SerializeWrites = singleWriter;
    });

    [Fact]
    public async Task Adaptive_concurrency_settles_low_against_plex_single_database_writer()
    {
        await using var engine = await TestHost.Create().Emulator(CostModel(300, singleWriter: true)).Config(Config("single", ("WRITE_CONCURRENCY", "auto"))).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        var path = engine.App.Services.GetRequiredService<WritePathState>().Current!;
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.True(path.ConcurrencyAuto);
        // Every write beyond one in flight only queues at the writer: latency grows with the limit, so it stays low.
        Assert.InRange(path.PeakConcurrency, 2, 8);
        Assert.InRange(engine.Plex.Counters.PeakConcurrentRequests, 1, 9);
    }

    [Fact]
    public async Task Adaptive_concurrency_climbs_towards_32_against_a_server_that_writes_in_parallel()
    {
        await using var engine = await TestHost.Create().Emulator(CostModel(2000, singleWriter: false)).Config(Config("single", ("WRITE_CONCURRENCY", "auto"))).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        var path = engine.App.Services.GetRequiredService<WritePathState>().Current!;
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey));
        Assert.True(path.ConcurrencyAuto);
        Assert.InRange(path.PeakConcurrency, 16, WriteLimiter.MaxLimit);
        Assert.True(engine.Plex.Counters.PeakConcurrentRequests >= 16, $"peak {engine.Plex.Counters.PeakConcurrentRequests} requests in flight");
    }

    [Fact]
    public async Task A_pinned_write_concurrency_is_never_exceeded()
    {
        // Pages of 50: the job's first pages are written at once in single mode, and share one limit.
        await using var engine = await TestHost.Create().Emulator(CostModel(400, singleWriter: false))
            .Config(Config("single", ("WRITE_CONCURRENCY", "3"), ("PLEX_PAGE_SIZE", "50"))).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        var path = engine.App.Services.GetRequiredService<WritePathState>().Current!;
        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
        Assert.False(path.ConcurrencyAuto);
        Assert.Equal(3, path.Concurrency);
        // Writes as Plex saw them (a page listed meanwhile is a request, not a write).
        Assert.InRange(engine.Plex.Counters.PeakConcurrentWrites, 1, 3);
    }

    [Fact]
    public async Task A_dead_server_stops_the_run_with_a_clear_message()
    {
        await using var engine = await TestHost.Create().Emulator(Library(600)).Config(Config("single")).EngineOnly().StartAsync();
        engine.Plex.Options.Faults.Routes = [RateRoute];
        engine.Plex.Options.Faults.ServerErrorRate = 1;

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("Stopped after repeated failures", job.Error, StringComparison.Ordinal);
        Assert.Contains("Plex at", job.Error, StringComparison.Ordinal);
    }

    private static long BulkPuts(TestHost engine) => engine.Plex.Counters.BulkEditRequests;

    /// <summary>Lets the first bulk edit through, then drops the next one whose URL is no longer, twice (its first try and its retry).</summary>
    private sealed class DropOneBatchTwice
    {
        private readonly Lock _gate = new();
        private int _answeredLength;
        private string? _target;
        private int _dropped;

        public int Dropped => Volatile.Read(ref _dropped);

        public ConcurrentQueue<int> Sizes { get; } = new();

        public sealed class Handler(DropOneBatchTwice drops) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var uri = request.RequestUri!;
                if (request.Method != HttpMethod.Put || !uri.AbsolutePath.EndsWith("/all", StringComparison.Ordinal))
                {
                    return await base.SendAsync(request, cancellationToken);
                }

                var ids = System.Web.HttpUtility.ParseQueryString(uri.Query)["id"]!;
                var length = uri.PathAndQuery.Length;
                lock (drops._gate)
                {
                    if (drops._answeredLength > 0 && drops._dropped < 2 && length <= drops._answeredLength && (drops._target ??= ids) == ids)
                    {
                        drops._dropped++;
                        throw new HttpRequestException("connection dropped (test)");
                    }
                }

                drops.Sizes.Enqueue(ids.Split(',').Length);
                var response = await base.SendAsync(request, cancellationToken);
                lock (drops._gate)
                {
                    drops._answeredLength = Math.Max(drops._answeredLength, length);
                }

                return response;
            }
        }
    }

    /// <summary>Holds the first read-back (a GET of /library/metadata/…) until a bulk edit is sent, or 20 s pass.</summary>
    private sealed class ReadBackHold
    {
        private readonly TaskCompletionSource _bulkEdit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _readBacks;
        private int _bulkEdits;

        public bool BulkEditDuringReadBack { get; private set; }

        public sealed class Handler(ReadBackHold hold) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var path = request.RequestUri!.AbsolutePath;
                if (request.Method == HttpMethod.Put && path.EndsWith("/all", StringComparison.Ordinal) && Interlocked.Increment(ref hold._bulkEdits) > 1)
                {
                    hold._bulkEdit.TrySetResult();
                }

                var response = await base.SendAsync(request, cancellationToken);
                if (request.Method == HttpMethod.Get && path.StartsWith("/library/metadata/", StringComparison.Ordinal) && Interlocked.Increment(ref hold._readBacks) == 1)
                {
                    // The answer is in; it is handed over only once the next bulk edit has left (or never, on the old path).
                    try
                    {
                        await hold._bulkEdit.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                        hold.BulkEditDuringReadBack = true;
                    }
                    catch (TimeoutException)
                    {
                        // Not released in time: the flag stays false and the test says so.
                    }
                }

                return response;
            }
        }
    }

    /// <summary>Checks, at the moment each bulk edit leaves, that its tracks are journaled as pending.</summary>
    /// <summary>Counts track listings sent while a bulk edit was in flight (listing ahead).</summary>
    private sealed class ListingWatch
    {
        private int _bulkEditsInFlight;
        private int _listedDuringBulkEdit;

        public int ListedDuringBulkEdit => Volatile.Read(ref _listedDuringBulkEdit);

        public sealed class Handler(ListingWatch watch) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var path = request.RequestUri!.AbsolutePath;
                var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query);
                var bulk = request.Method == HttpMethod.Put && path.EndsWith("/all", StringComparison.Ordinal);
                var listing = request.Method == HttpMethod.Get && path.EndsWith("/all", StringComparison.Ordinal) &&
                    (request.Headers.TryGetValues("X-Plex-Container-Size", out var sizes) ? sizes.First() : query["X-Plex-Container-Size"]) is { } size && size != "0";
                if (listing && Volatile.Read(ref watch._bulkEditsInFlight) > 0)
                {
                    Interlocked.Increment(ref watch._listedDuringBulkEdit);
                }

                if (!bulk)
                {
                    return await base.SendAsync(request, cancellationToken);
                }

                Interlocked.Increment(ref watch._bulkEditsInFlight);
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref watch._bulkEditsInFlight);
                }
            }
        }
    }

    /// <summary>
    /// Watches each <c>PUT /:/rate</c>: its track must be journaled pending before it goes. Optionally holds one write
    /// until the journal shows some applied rows (a deadline, not a sleep), or calls back with each write's number.
    /// </summary>
    private sealed class RateWatch(int holdAt = 0, int appliedWhileHeld = 0, Action<int>? onWrite = null)
    {
        private IServiceProvider? _services;
        private int _writes;

        public ConcurrentQueue<string> Violations { get; } = new();

        public int Writes => _writes;

        private int HoldAt { get; } = holdAt;

        private int AppliedWhileHeld { get; } = appliedWhileHeld;

        private Action<int>? OnWrite { get; } = onWrite;

        public bool Held { get; private set; }

        public DelegatingHandler Attach(IServiceProvider services)
        {
            _services = services;
            return new Handler(this);
        }

        private sealed class Handler(RateWatch watch) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (request.Method != HttpMethod.Put || request.RequestUri!.AbsolutePath != RateRoute)
                {
                    return await base.SendAsync(request, cancellationToken);
                }

                var n = Interlocked.Increment(ref watch._writes);
                var key = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query)["key"]!;
                var journal = watch._services!.GetRequiredService<JournalStore>();
                if (!(await journal.GetPendingChangesAsync(cancellationToken)).Any(c => c.Change.RatingKey == key))
                {
                    watch.Violations.Enqueue($"{key} was not journaled as pending before its write");
                }

                watch.OnWrite?.Invoke(n);
                if (n == watch.HoldAt)
                {
                    watch.Held = true;
                    var jobId = (await journal.GetJobsAsync(1, cancellationToken))[0].Id;
                    try
                    {
                        // Within less than the write's own timeout (PLEX_TIMEOUT_SECONDS, 30 s), which would retry it silently.
                        await Eventually.TrueAsync(async () => (await journal.CountChangesAsync(jobId, cancellationToken)).Rated >= watch.AppliedWhileHeld,
                            $"{watch.AppliedWhileHeld} outcomes marked applied while write {n} of the page is held", seconds: 20);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        watch.Violations.Enqueue(ex.Message);
                    }
                }

                return await base.SendAsync(request, cancellationToken);
            }
        }
    }

    private sealed class BulkEditWatch
    {
        private IServiceProvider? _services;
        private int _bulkEdits;

        public ConcurrentQueue<string> Violations { get; } = new();

        public int BulkEdits => _bulkEdits;

        public DelegatingHandler Attach(IServiceProvider services)
        {
            _services = services;
            return new Handler(this);
        }

        private sealed class Handler(BulkEditWatch watch) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath.EndsWith("/all", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref watch._bulkEdits);
                    var ids = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query)["id"]!.Split(',');
                    var pending = (await watch._services!.GetRequiredService<JournalStore>().GetPendingChangesAsync(cancellationToken))
                        .Select(c => c.Change.RatingKey).ToHashSet();
                    foreach (var id in ids.Where(id => !pending.Contains(id)))
                    {
                        watch.Violations.Enqueue($"{id} was not journaled as pending before its bulk edit");
                    }

                    var response = await base.SendAsync(request, cancellationToken);
                    var stillPending = (await watch._services!.GetRequiredService<JournalStore>().GetPendingChangesAsync(cancellationToken))
                        .Select(c => c.Change.RatingKey).ToHashSet();
                    foreach (var id in ids.Where(id => !stillPending.Contains(id)))
                    {
                        watch.Violations.Enqueue($"{id} was marked before its read-back");
                    }

                    return response;
                }

                return await base.SendAsync(request, cancellationToken);
            }
        }
    }
}
