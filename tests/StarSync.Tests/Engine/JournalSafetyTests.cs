using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.PlexEmulator;
using StarSync.Rating;

namespace StarSync.Tests.Engine;

/// <summary>Regressions found in review: hand ratings between jobs, lost answers, odd servers, queue edge cases.</summary>
[Trait("Category", "Integration")]
public sealed class JournalSafetyTests
{
    // ---- Undo all ignores hand ratings made between StarSync jobs ----
    [Fact]
    public async Task Undo_all_brings_back_a_hand_rating_that_a_later_clear_removed()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var rate = await engine.RunAsync(JobMode.All);
        var key = (await engine.ChangesAsync(rate.Id))[0].RatingKey;   // unrated -> 6 by StarSync
        engine.Plex.Library.SetUserRating(key, 9);                      // user's own rating afterwards
        await engine.RunAsync(JobMode.Clear);                           // 9 -> unrated (journaled old 9)
        Assert.Null(engine.Plex.Library.GetUserRating(key));

        await engine.RunAsync(JobMode.UndoAll);

        // Undoing the clear job alone would give 9 back; undo-all restores the value before job #1 (unrated).
        Assert.Equal(9, engine.Plex.Library.GetUserRating(key));
    }

    [Fact]
    public async Task Undo_all_brings_back_a_hand_rating_that_override_replaced()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var rate = await engine.RunAsync(JobMode.All);
        var key = (await engine.ChangesAsync(rate.Id))[0].RatingKey;   // unrated -> 6
        engine.Plex.Library.SetUserRating(key, 9);                      // hand rating
        await engine.Settings.UpdateAsync(s => s with { OverrideRating = true, TargetRating = 4 }, CancellationToken.None);
        await engine.RunAsync(JobMode.All);                             // 9 -> 8
        Assert.Equal(8, engine.Plex.Library.GetUserRating(key));

        await engine.RunAsync(JobMode.UndoAll);

        Assert.Equal(9, engine.Plex.Library.GetUserRating(key));
    }

    // ---- Undo of an undo would leave ratings undo-all cannot find: refused for the CLI as for the API ----
    [Fact]
    public async Task Undo_of_an_undo_is_refused_and_undo_all_still_restores_the_original_ratings()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();
        var rate = await engine.RunAsync(JobMode.All);
        await engine.Settings.UpdateAsync(s => s with { TargetRating = 4, OverrideRating = true }, CancellationToken.None);
        var undo = await engine.RunAsync(JobMode.Undo, undo: rate.Id);

        var redo = await engine.RunAsync(JobMode.Undo, undo: undo.Id);

        Assert.Equal(JobStatus.Failed, redo.Status);
        Assert.Contains("an undo", redo.Error, StringComparison.Ordinal);
        Assert.Equal(before, engine.Ratings());
        await engine.RunAsync(JobMode.All);
        await engine.RunAsync(JobMode.UndoAll);
        Assert.Equal(before, engine.Ratings());
    }

    [Fact]
    public async Task Undo_names_the_later_starsync_job_that_changed_a_track_since()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var clear = await engine.RunAsync(JobMode.Clear);      // hand ratings -> unrated
        var rate = await engine.RunAsync(JobMode.All);         // unrated -> 6, including the cleared ones

        var undo = await engine.RunAsync(JobMode.Undo, undo: clear.Id);

        var skipped = (await engine.ChangesAsync(undo.Id)).Where(c => c.State == ChangeState.Skipped).ToList();
        Assert.Equal(clear.Counts.Cleared, skipped.Count);
        Assert.All(skipped, c => Assert.Contains($"a later StarSync job (#{rate.Id})", c.Error, StringComparison.Ordinal));
    }

    // ---- ShrinkingSetAsync: a page the client-side re-check empties ends the pass ----
    [Fact]
    public async Task A_server_that_ignores_the_unrated_filter_still_gets_every_unrated_track_rated()
    {
        await using var engine = await TestHost.Create().Emulator().Services(b =>
            b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new StripFilterHandler()))).EngineOnly().StartAsync();
        var unrated = engine.Ratings().Count(kv => kv.Value is null);

        var job = await engine.RunAsync(JobMode.All);

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(0, engine.Plex.Library.CountUnrated(engine.MusicKey)); // the safety net must not cost coverage
        Assert.Equal(unrated, job.Counts.Rated);
    }

    // ---- A write whose response is lost after Plex applied it ----
    [Fact]
    public async Task A_write_plex_applied_but_whose_answer_was_lost_is_journaled_undone_and_no_track_is_skipped()
    {
        var lose = new LoseAnswer(loseNth: 5);
        await using var engine = await TestHost.Create().Emulator().SingleWrites().Services(b =>
            b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new LoseAnswer.Handler(lose)))).EngineOnly().StartAsync();
        var before = engine.Ratings();

        var job = await engine.RunAsync(JobMode.All);
        var stillUnrated = engine.Plex.Library.CountUnrated(engine.MusicKey);
        var lostKey = lose.LostKey!;
        var journaled = (await engine.ChangesAsync(job.Id)).Single(c => c.RatingKey == lostKey);
        var undo = await engine.RunAsync(JobMode.Undo, undo: job.Id);

        var afterUndo = engine.Plex.Library.GetUserRating(lostKey);
        var problems = new List<string>();
        if (stillUnrated != 0) problems.Add($"{stillUnrated} unrated track(s) skipped by the job");
        if (journaled.State != ChangeState.Applied) problems.Add($"journal says {journaled.State} ({journaled.Error}) for {lostKey}");
        if (afterUndo != before[lostKey]) problems.Add($"after undo {lostKey} is {afterUndo}, was {before[lostKey]?.ToString() ?? "unrated"} before StarSync");
        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    // ---- Duplicate library names ----
    [Fact]
    public async Task Items_job_works_when_the_library_is_listed_twice()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var title = engine.Plex.Library.Sections.First(s => s.Type == "artist").Title;
        var errors = await engine.Settings.UpdateAsync(s => s with { Libraries = [title, title.ToUpperInvariant()] }, CancellationToken.None);
        Assert.Empty(errors); // accepted by validation
        var album = engine.Plex.Library.AddAlbum(engine.MusicKey, 5);

        var job = await engine.RunAsync(JobMode.Items, items: [album.AlbumRatingKey]);

        Assert.True(job.Status == JobStatus.Succeeded, job.Error);
    }

    // ---- Queue: cancelling a queued job leaves an extra semaphore count ----
    [Fact]
    public async Task Cancelling_a_queued_job_does_not_break_the_next_run()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var queued = await engine.Queue.EnqueueAsync(new JobRequest(JobTrigger.Manual, JobMode.All), CancellationToken.None);
        Assert.True(await engine.Queue.CancelAsync(queued.Id, CancellationToken.None));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var ex = await Record.ExceptionAsync(() => engine.Executor.RunNextAsync(timeout.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(ex); // nothing queued: it should just wait
    }

    // ---- Counts of a failed job come from throttled progress ----
    [Fact]
    public async Task A_failed_job_records_its_real_failure_count()
    {
        await using var engine = await TestHost.Create().Emulator().SingleWrites().EngineOnly().StartAsync();
        engine.Plex.Options.Faults.Routes = ["/:/rate"];
        engine.Plex.Options.Faults.ServerErrorRate = 1.0;
        var sp = engine.App.Services;
        var ratingJob = new RatingJob(sp.GetRequiredService<IPlexClient>(), engine.Journal, sp.GetRequiredService<ChangeWriter>(),
            engine.Settings, sp.GetRequiredService<IOptions<PlexOptions>>(), new FrozenTime(), sp.GetRequiredService<ILogger<RatingJob>>());
        using var executor = new JobExecutor(engine.Queue, ratingJob, engine.Journal, sp.GetRequiredService<IPlexClient>(), engine.Lease, engine.Settings,
            sp.GetRequiredService<IJobEvents>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<JobExecutor>>());

        var job = await executor.RunToCompletionAsync(new JobRequest(JobTrigger.Manual, JobMode.All), CancellationToken.None);

        Assert.Equal(JobStatus.Failed, job.Status);
        var failedRows = (await engine.ChangesAsync(job.Id)).Count(c => c.State == ChangeState.Failed);
        Assert.True(job.Counts.Failed >= ChangeWriter.MaxConsecutiveFailures,
            $"history says failed={job.Counts.Failed}, journal has {failedRows} failed rows");
    }

    private sealed class FrozenTime : TimeProvider
    {
        public override long GetTimestamp() => 10 * TimestampFrequency;
    }

    private sealed class StripFilterHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!.ToString();
            if (uri.Contains("&userRating=-1", StringComparison.Ordinal))
            {
                request.RequestUri = new Uri(uri.Replace("&userRating=-1", "", StringComparison.Ordinal));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Loses the answer to the n-th <c>PUT /:/rate</c> of any Plex client (each client's pipeline gets a handler of its own).</summary>
    private sealed class LoseAnswer(int loseNth)
    {
        private int _puts;

        public string? LostKey { get; private set; }

        public sealed class Handler(LoseAnswer lose) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = await base.SendAsync(request, cancellationToken);
                if (request.Method == HttpMethod.Put && request.RequestUri!.AbsolutePath == "/:/rate" && Interlocked.Increment(ref lose._puts) == lose.LostAt)
                {
                    lose.LostKey = System.Web.HttpUtility.ParseQueryString(request.RequestUri.Query)["key"];
                    response.Dispose();
                    throw new HttpRequestException("connection reset after Plex processed the PUT");
                }

                return response;
            }
        }

        private int LostAt => loseNth;
    }
}
