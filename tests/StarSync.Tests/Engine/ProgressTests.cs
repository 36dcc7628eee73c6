using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

/// <summary>
/// What the progress bar is told: every job knows its whole total (all libraries, every pass, every undo row) at its
/// first progress event, the total never moves after that, and done only grows. Over real HTTP against the emulator.
/// </summary>
public sealed class ProgressTests
{
    private static async Task<(JobRecord Job, IReadOnlyList<JobProgress> Events)> RunObservedAsync(EngineHarness engine, JobRequest request)
    {
        var events = new ConcurrentQueue<JobProgress>();
        var job = await engine.Executor.RunToCompletionAsync(request, events.Enqueue, EngineHarness.TestTimeout());
        return (job, events.ToArray());
    }

    /// <summary>The same total from the first event to the last, done never going back and never above the total.</summary>
    private static void AssertSteadyTotal(int expected, IReadOnlyList<JobProgress> events)
    {
        Assert.NotEmpty(events);
        Assert.Equal(expected, events[0].Counts.Total);
        Assert.Equal(0, events[0].Counts.Done);
        var done = 0;
        foreach (var e in events)
        {
            Assert.Equal(expected, e.Counts.Total);
            Assert.True(e.Counts.Done >= done, $"done went back from {done} to {e.Counts.Done}");
            Assert.True(e.Counts.Done <= e.Counts.Total, $"done {e.Counts.Done} above total {e.Counts.Total}");
            Assert.True(e.TotalKnown);
            Assert.False(e.TotalCorrected);
            done = e.Counts.Done;
        }

        Assert.Equal(expected, events[^1].Counts.Done);
    }

    [Fact]
    public async Task Two_library_run_knows_both_libraries_totals_at_its_first_event_and_shows_each_library()
    {
        var emulator = new EmulatorOptions { Tracks = 1200, MusicLibraries = 2, Seed = 21, HandRatedShare = 0.2 };
        var plex = await PlexEmulatorServer.StartAsync(emulator);
        var music = plex.Library.Sections.Where(s => s.IsMusic).ToArray();
        await using var engine = await EngineHarness.StartAsync(plex: plex, config: new Dictionary<string, string?>
        {
            ["LIBRARY_NAME"] = string.Join(",", music.Select(s => s.Title)),
        });
        var unrated = music.Select(s => plex.Library.CountUnrated(s.Key)).ToArray();
        Assert.All(unrated, n => Assert.True(n > 100, "each library needs several pages"));

        var (job, events) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.All));

        Assert.Equal(JobStatus.Succeeded, job.Status);
        AssertSteadyTotal(unrated.Sum(), events);
        Assert.Equal(unrated.Sum(), job.Counts.Total);
        // Each library's share: named, counted up front, waiting until its turn, done at the end.
        var first = events[0].Libraries;
        Assert.Equal(music.Select(s => s.Title), first.Select(l => l.Library));
        Assert.Equal(unrated, first.Select(l => l.Total));
        Assert.All(first, l => Assert.Equal((0, LibraryState.Waiting), (l.Done, l.State)));
        Assert.Contains(events, e => e.Libraries[0].State == LibraryState.Running && e.Libraries[1].State == LibraryState.Waiting);
        Assert.All(events, e => Assert.Equal(e.Counts.Done, e.Libraries.Sum(l => l.Done)));
        Assert.All(events[^1].Libraries, l => Assert.Equal(LibraryState.Done, l.State));
        Assert.Equal(unrated, events[^1].Libraries.Select(l => l.Done));
    }

    [Fact]
    public async Task Override_run_counts_unrated_and_rated_tracks_once_each_before_it_writes()
    {
        await using var engine = await EngineHarness.StartAsync(config: new Dictionary<string, string?> { ["OVERRIDE_RATING"] = "true" });
        var before = engine.Ratings();
        var toLookAt = before.Count(kv => kv.Value != 6.0);

        var (job, events) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.All));

        Assert.Equal(JobStatus.Succeeded, job.Status);
        AssertSteadyTotal(toLookAt, events);
        Assert.Equal(before.Count(kv => kv.Value is null), job.Counts.Rated);
        Assert.Equal(before.Count(kv => kv.Value is not null && kv.Value != 6.0), job.Counts.Updated);
    }

    [Fact]
    public async Task Undo_and_undo_all_count_their_journal_rows_before_the_first_write()
    {
        // Over 1,000 changes: the undo reads them 500 at a time, and its total used to grow by 500 with each read.
        await using var engine = await EngineHarness.StartAsync(new EmulatorOptions { Tracks = 1500, Seed = 22, HandRatedShare = 0.2 });
        var rated = await engine.RunAsync(JobMode.All);
        Assert.True(rated.Counts.Rated > 1000, $"rated {rated.Counts.Rated}");

        var (undo, events) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.Undo, UndoJobId: rated.Id));

        Assert.Equal(JobStatus.Succeeded, undo.Status);
        AssertSteadyTotal(rated.Counts.Rated, events);
        Assert.Equal(rated.Counts.Rated, undo.Counts.Restored);
        var library = Assert.Single(events[0].Libraries);
        Assert.Equal((engine.Settings.Current.Libraries[0], rated.Counts.Rated), (library.Library, library.Total));

        var again = await engine.RunAsync(JobMode.All);
        var (undoAll, allEvents) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.UndoAll));

        Assert.Equal(JobStatus.Succeeded, undoAll.Status);
        AssertSteadyTotal(again.Counts.Rated, allEvents);
        Assert.Equal(again.Counts.Rated, undoAll.Counts.Restored);
    }

    [Fact]
    public async Task Clear_counts_the_rated_tracks_of_the_library_before_it_writes()
    {
        await using var engine = await EngineHarness.StartAsync();
        var rated = engine.Ratings().Count(kv => kv.Value is not null);

        var (job, events) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.Clear));

        Assert.Equal(JobStatus.Succeeded, job.Status);
        AssertSteadyTotal(rated, events);
        Assert.Equal(rated, job.Counts.Cleared);
    }

    [Fact]
    public async Task A_new_album_arriving_mid_run_raises_the_total_says_so_and_never_lets_done_pass_it()
    {
        await using var engine = await EngineHarness.StartAsync(config: EngineHarness.SingleWrites);
        var unrated = engine.Plex.Library.CountUnrated(engine.MusicKey);
        var added = 0;
        engine.Plex.Options.BeforeRatingWrite = _ =>
        {
            // Plex scans in an album after StarSync counted: the unrated set it pages through grows by 12.
            if (Interlocked.Exchange(ref added, 1) == 0)
            {
                engine.Plex.Library.AddAlbum(engine.MusicKey, 12);
            }

            return Task.CompletedTask;
        };

        var (job, events) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.All));

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(unrated, events[0].Counts.Total);
        Assert.False(events[0].TotalCorrected);
        Assert.Equal(unrated + 12, job.Counts.Rated);
        Assert.Equal((unrated + 12, unrated + 12), (events[^1].Counts.Total, events[^1].Counts.Done));
        Assert.True(events[^1].TotalCorrected);
        var total = 0;
        foreach (var e in events)
        {
            Assert.True(e.Counts.Total >= total, "the total went down");
            Assert.True(e.Counts.Done <= e.Counts.Total, $"done {e.Counts.Done} above total {e.Counts.Total}");
            total = e.Counts.Total;
        }
    }

    [Fact]
    public void Eta_is_the_whole_jobs_remaining_work_at_the_pace_of_the_last_30_seconds()
    {
        var time = new FakeTimeProvider();
        var rate = new RecentRate(time);

        Assert.Null(rate.Sample(done: 0, writes: 0, total: 1000, totalKnown: true).EtaSeconds);
        time.Advance(TimeSpan.FromSeconds(10));
        // 100 tracks in 10 s: 900 left at 10 a second.
        Assert.Equal((10.0, (double?)90.0), rate.Sample(done: 100, writes: 100, total: 1000, totalKnown: true));
        time.Advance(TimeSpan.FromSeconds(30));
        // Then 600 in 30 s: the first 10 s fall out of the window, so the pace is 20 a second (not 17.5 since the start).
        Assert.Equal((20.0, (double?)15.0), rate.Sample(done: 700, writes: 700, total: 1000, totalKnown: true));
        // 5 s later: 100 more tracks looked at (skips: no writes) are work done too, and the ETA covers what is left of
        // the whole job (a second library's 2,100 tracks included): 2,300 at 20 a second.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((0.0, (double?)115.0), rate.Sample(done: 800, writes: 700, total: 3100, totalKnown: true));
        Assert.Null(rate.Sample(done: 800, writes: 700, total: 3100, totalKnown: false).EtaSeconds);
    }
}
