using System.Collections.Concurrent;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

/// <summary>
/// What the progress bar is told: every job knows its whole total (all libraries, every pass, every undo row) at its
/// first progress event, the total never moves after that, and done only grows. Over real HTTP against the emulator.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProgressTests
{
    private static readonly TimeSpan JobDeadline = TimeSpan.FromSeconds(120);

    private static async Task<(JobRecord Job, IReadOnlyList<JobProgress> Events)> RunObservedAsync(TestHost engine, JobRequest request)
    {
        var events = new ConcurrentQueue<JobProgress>();
        var job = await engine.Executor.RunToCompletionAsync(request, events.Enqueue, CancellationToken.None).WaitAsync(JobDeadline);
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
        await using var engine = await TestHost.Create().Emulator(emulator).AllMusicLibraries().EngineOnly().StartAsync();
        var plex = engine.Plex;
        var music = plex.Library.Sections.Where(s => s.IsMusic).ToArray();
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
        await using var engine = await TestHost.Create().Emulator().Config("OVERRIDE_RATING", "true").EngineOnly().StartAsync();
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
        await using var engine = await TestHost.Create().Emulator(new EmulatorOptions { Tracks = 1500, Seed = 22, HandRatedShare = 0.2 }).EngineOnly().StartAsync();
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
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var rated = engine.Ratings().Count(kv => kv.Value is not null);

        var (job, events) = await RunObservedAsync(engine, new JobRequest(JobTrigger.Manual, JobMode.Clear));

        Assert.Equal(JobStatus.Succeeded, job.Status);
        AssertSteadyTotal(rated, events);
        Assert.Equal(rated, job.Counts.Cleared);
    }

    [Fact]
    public async Task A_new_album_arriving_mid_run_raises_the_total_says_so_and_never_lets_done_pass_it()
    {
        await using var engine = await TestHost.Create().Emulator().SingleWrites().EngineOnly().StartAsync();
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
}
