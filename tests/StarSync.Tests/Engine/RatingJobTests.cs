using Microsoft.Extensions.DependencyInjection;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

[Trait("Category", "Integration")]
public sealed class RatingJobTests
{
    [Fact]
    public async Task Rate_all_rates_every_unrated_track_and_leaves_hand_ratings_alone()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        var after = engine.Ratings();
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.All(before, kv => Assert.Equal(kv.Value ?? 6.0, after[kv.Key]));
        var unrated = before.Count(kv => kv.Value is null);
        Assert.True(unrated > 100);
        Assert.Equal(unrated, job.Counts.Rated);
        Assert.Equal(0, job.Counts.Failed);

        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(unrated, changes.Count);
        Assert.All(changes, c =>
        {
            Assert.Equal(ChangeState.Applied, c.State);
            Assert.Null(c.OldValue);
            Assert.Equal(6.0, c.NewValue);
        });
    }

    [Fact]
    public async Task Rate_all_with_override_rerates_differing_tracks_but_never_rewrites_the_target()
    {
        await using var engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?> { ["OVERRIDE_RATING"] = "true" }).EngineOnly().StartAsync();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);

        Assert.All(engine.Ratings().Values, v => Assert.Equal(6.0, v));
        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(before.Count(kv => kv.Value != 6.0), changes.Count);
        Assert.All(changes, c => Assert.Equal(before[c.RatingKey], c.OldValue));
        Assert.Equal(before.Count(kv => kv.Value is not null && kv.Value != 6.0), job.Counts.Updated);
    }

    [Fact]
    public async Task Dry_run_writes_nothing_and_reports_what_would_change()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All, dryRun: true);

        Assert.Equal(0, engine.Plex.Counters.RatingWrites);
        Assert.Equal(before, engine.Ratings());
        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(before.Count(kv => kv.Value is null), changes.Count);
        Assert.All(changes, c => Assert.Equal(ChangeState.Planned, c.State));
    }

    [Fact]
    public async Task Recent_n_looks_only_at_the_n_most_recently_added_tracks()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var album = engine.Plex.Library.AddAlbum(engine.MusicKey, 12);

        var job = await engine.RunAsync(JobMode.Recent, count: 12);

        Assert.Equal(12, job.Counts.Total);
        Assert.All(album.TrackRatingKeys, k => Assert.Equal(6.0, engine.Plex.Library.GetUserRating(k)));
        Assert.Equal(12, engine.Plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Unrated_batch_rates_at_most_n_tracks_newest_first()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var album = engine.Plex.Library.AddAlbum(engine.MusicKey, 10);

        var job = await engine.RunAsync(JobMode.UnratedBatch, count: 25);

        Assert.Equal(25, job.Counts.Rated);
        Assert.Equal(25, engine.Plex.Counters.RatingWrites);
        Assert.All(album.TrackRatingKeys, k => Assert.Equal(6.0, engine.Plex.Library.GetUserRating(k)));
    }

    [Fact]
    public async Task Items_rates_exactly_the_tracks_of_a_new_album()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var album = engine.Plex.Library.AddAlbum(engine.MusicKey, 9);
        var unratedElsewhere = engine.Plex.Library.CountUnrated(engine.MusicKey) - 9;

        var job = await engine.RunAsync(JobMode.Items, items: [album.AlbumRatingKey]);

        Assert.Equal(9, job.Counts.Rated);
        Assert.All(album.TrackRatingKeys, k => Assert.Equal(6.0, engine.Plex.Library.GetUserRating(k)));
        Assert.Equal(unratedElsewhere, engine.Plex.Library.CountUnrated(engine.MusicKey));
    }

    [Fact]
    public async Task Steady_state_with_nothing_to_rate_costs_requests_per_library_not_per_track()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        await engine.RunAsync(JobMode.All);
        engine.Plex.Counters.Reset();

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(0, job.Counts.Rated);
        Assert.Equal(0, engine.Plex.Counters.RatingWrites);
        Assert.True(engine.Plex.Counters.Requests <= 3, $"made {engine.Plex.Counters.Requests} requests");
    }

    [Fact]
    public async Task Undo_restores_exact_old_values_including_half_stars_and_unrated()
    {
        await using var engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?> { ["OVERRIDE_RATING"] = "true" }).EngineOnly().StartAsync();
        var before = engine.Ratings();
        Assert.Contains(before.Values, v => v is { } x && x % 2 == 1);
        var job = await engine.RunAsync(JobMode.All);

        var undo = await engine.RunAsync(JobMode.Undo, undo: job.Id);

        Assert.Equal(JobStatus.Succeeded, undo.Status);
        Assert.Equal(before, engine.Ratings());
        Assert.Equal(before.Count(kv => kv.Value != 6.0), undo.Counts.Restored);

        var again = await engine.RunAsync(JobMode.Undo, undo: job.Id);
        Assert.Equal(0, again.Counts.Restored);
    }

    [Fact]
    public async Task Undo_skips_and_reports_a_track_rated_by_hand_after_the_job()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var job = await engine.RunAsync(JobMode.All);
        var touched = (await engine.ChangesAsync(job.Id))[0].RatingKey;
        engine.Plex.Library.SetUserRating(touched, 9);

        var undo = await engine.RunAsync(JobMode.Undo, undo: job.Id);

        Assert.Equal(9, engine.Plex.Library.GetUserRating(touched));
        Assert.Equal(1, undo.Counts.Skipped);
        var skipped = Assert.Single(await engine.ChangesAsync(undo.Id), c => c.State == ChangeState.Skipped);
        Assert.Equal(touched, skipped.RatingKey);
        Assert.Contains("changed since", skipped.Error);
        Assert.Equal(job.Counts.Rated - 1, undo.Counts.Restored);
    }

    [Fact]
    public async Task Undo_all_restores_the_value_from_before_starsyncs_first_change()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();
        await engine.RunAsync(JobMode.All);
        await engine.Settings.UpdateAsync(s => s with { OverrideRating = true, TargetRating = 4 }, CancellationToken.None);
        await engine.RunAsync(JobMode.All);
        Assert.All(engine.Ratings().Values, v => Assert.Equal(8.0, v));

        var undo = await engine.RunAsync(JobMode.UndoAll);

        Assert.Equal(JobStatus.Succeeded, undo.Status);
        Assert.Equal(before, engine.Ratings());
    }

    [Fact]
    public async Task Clear_removes_every_rating_and_can_be_undone()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();

        var clear = await engine.RunAsync(JobMode.Clear);

        Assert.All(engine.Ratings().Values, v => Assert.Null(v));
        Assert.Equal(before.Count(kv => kv.Value is not null), clear.Counts.Cleared);

        await engine.RunAsync(JobMode.Undo, undo: clear.Id);
        Assert.Equal(before, engine.Ratings());
    }

    [Fact]
    public async Task Faults_mid_job_leave_no_change_unexplained()
    {
        await using var engine = await TestHost.Create().Emulator().SingleWrites().EngineOnly().StartAsync();
        engine.Plex.Options.Faults.Routes = ["/:/rate"];
        engine.Plex.Options.Faults.ServerErrorRate = 0.25;

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.True(engine.Plex.Counters.ServerErrorsInjected > 0);
        var changes = await engine.ChangesAsync(job.Id);
        Assert.DoesNotContain(changes, c => c.State == ChangeState.Pending);
        foreach (var change in changes)
        {
            var now = engine.Plex.Library.GetUserRating(change.RatingKey);
            Assert.Equal(change.State == ChangeState.Applied ? change.NewValue : change.OldValue, now);
        }
    }

    [Fact]
    public async Task Cancel_mid_job_stops_promptly_and_leaves_the_journal_consistent()
    {
        var options = new EmulatorOptions { Tracks = 600, Seed = 3, HandRatedShare = 0.1 };
        options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(20);
        await using var engine = await TestHost.Create().Emulator(options).SingleWrites().EngineOnly().StartAsync();
        // Writes after the 50th wait in Plex until the cancel has been asked for (progress is reported 4 times a second,
        // so waiting for "rated 50" let a fast limiter write hundreds first); then the ones already sent are answered.
        var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = 0;
        engine.Plex.Options.BeforeRatingWrite = _ =>
        {
            if (Interlocked.Increment(ref writes) <= 50)
            {
                return Task.CompletedTask;
            }

            halfway.TrySetResult();
            return cancelled.Task;
        };

        var run = engine.Executor.RunToCompletionAsync(new JobRequest(JobTrigger.Manual, JobMode.All), _ => { }, CancellationToken.None);
        await halfway.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(await engine.Queue.CancelAsync(null, CancellationToken.None));
        cancelled.TrySetResult();
        var job = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobStatus.Cancelled, job.Status);
        var changes = await engine.ChangesAsync(job.Id);
        Assert.DoesNotContain(changes, c => c.State == ChangeState.Pending);
        Assert.True(changes.Count(c => c.State == ChangeState.Applied) < engine.Plex.Library.TrackKeys(engine.MusicKey).Count / 2);
        foreach (var change in changes)
        {
            var now = engine.Plex.Library.GetUserRating(change.RatingKey);
            Assert.Equal(change.State == ChangeState.Applied ? change.NewValue : change.OldValue, now);
        }
    }

    [Fact]
    public async Task A_write_in_flight_when_the_job_is_cancelled_is_waited_for_so_the_journal_matches_what_plex_stored()
    {
        // Plex takes a write that has arrived even if the client gives up on it. The fifth write is held in Plex until
        // StarSync reads that track back (what a client that cut the write off does at once) or 3 s have passed (a
        // client that waits for its answer reads nothing back meanwhile); then Plex stores it. Before, StarSync cut the
        // write off, read the old value back, journaled "not applied", and Plex stored the rating a moment later.
        var options = new EmulatorOptions { Tracks = 200, Seed = 3, HandRatedShare = 0 };
        await using var engine = await TestHost.Create().Emulator(options).SingleWrites().EngineOnly().StartAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writes = 0;
        engine.Plex.Options.BeforeRatingWrite = _ =>
        {
            if (Interlocked.Increment(ref writes) != 5)
            {
                return Task.CompletedTask;
            }

            held.TrySetResult();
            return release.Task;
        };

        var run = engine.Executor.RunToCompletionAsync(new JobRequest(JobTrigger.Manual, JobMode.All), _ => { }, CancellationToken.None);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var readBacks = engine.Plex.Counters.RequestsFor("/library/metadata/{ids}");
        Assert.True(await engine.Queue.CancelAsync(null, CancellationToken.None));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (engine.Plex.Counters.RequestsFor("/library/metadata/{ids}") == readBacks && waited.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(20);
        }

        release.TrySetResult();
        var job = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(JobStatus.Cancelled, job.Status);
        var changes = await engine.ChangesAsync(job.Id);
        // Every journaled outcome is what Plex has, the held write's included (its track is rated in Plex).
        Assert.Equal(changes.Count(c => c.State == ChangeState.Applied), engine.Plex.Library.TrackKeys(engine.MusicKey).Count(k => engine.Plex.Library.GetUserRating(k) is not null));
        foreach (var change in changes)
        {
            Assert.Equal(change.State == ChangeState.Applied ? change.NewValue : change.OldValue, engine.Plex.Library.GetUserRating(change.RatingKey));
        }
    }

    [Fact]
    public async Task Recover_settles_changes_left_pending_by_a_crash_against_plex()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var keys = engine.Plex.Library.TrackKeys(engine.MusicKey).Where(k => engine.Plex.Library.GetUserRating(k) is null).Take(2).ToArray();
        var job = await engine.Journal.CreateJobAsync(new JobRequest(JobTrigger.Manual, JobMode.All), ["Music"], CancellationToken.None);
        await engine.Journal.UpdateJobAsync(job with { Status = JobStatus.Running }, CancellationToken.None);
        await engine.Journal.AddChangesAsync(job.Id,
            keys.Select(k => new ChangeDraft(k, "Music", "a", "b", "c", null, 6)).ToArray(), ChangeState.Pending, null, null, CancellationToken.None);
        engine.Plex.Library.SetUserRating(keys[0], 6); // the PUT reached Plex before the crash; the second did not

        await engine.Executor.RecoverAsync(includeQueued: true, CancellationToken.None);

        var changes = await engine.ChangesAsync(job.Id);
        Assert.Equal(ChangeState.Applied, changes.Single(c => c.RatingKey == keys[0]).State);
        Assert.Equal(ChangeState.Failed, changes.Single(c => c.RatingKey == keys[1]).State);
        Assert.Equal(JobStatus.Failed, (await engine.Journal.GetJobAsync(job.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Identical_requests_coalesce_and_item_requests_merge_while_queued()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();

        var first = await engine.Queue.EnqueueAsync(new JobRequest(JobTrigger.Manual, JobMode.All), CancellationToken.None);
        var second = await engine.Queue.EnqueueAsync(new JobRequest(JobTrigger.Schedule, JobMode.All), CancellationToken.None);
        var items1 = await engine.Queue.EnqueueAsync(new JobRequest(JobTrigger.Webhook, JobMode.Items, ItemKeys: ["1"]), CancellationToken.None);
        var items2 = await engine.Queue.EnqueueAsync(new JobRequest(JobTrigger.Webhook, JobMode.Items, ItemKeys: ["2"]), CancellationToken.None);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(items1.Id, items2.Id);
        var queued = engine.Queue.Snapshot().Queued;
        Assert.Equal(2, queued.Count);
        Assert.Equal(["1", "2"], queued[1].Request.ItemKeys);
    }

    [Fact]
    public async Task Unknown_library_is_skipped_and_the_job_still_succeeds()
    {
        await using var engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?> { ["LIBRARY_NAME"] = "Nope" }).EngineOnly().StartAsync();

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(0, engine.Plex.Counters.RatingWrites);
    }
}
