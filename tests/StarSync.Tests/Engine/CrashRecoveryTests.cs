using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

/// <summary>
/// What a killed process leaves (a lease it never released, a job still "running", pending rows) is settled by the
/// next job or undo, whenever the restart happens, and history tells the truth about it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task A_lease_left_by_a_dead_process_on_this_machine_is_taken_over_at_once()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var dead = await DeadProcessHolderAsync();
        Assert.True(await engine.Journal.TryAcquireLeaseAsync(dead, RunnerLease.Ttl, CancellationToken.None)); // fresh heartbeat

        var job = await engine.RunAsync(new JobRequest(JobTrigger.Manual, JobMode.All));

        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Null(await engine.Journal.GetLeaseHolderAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_lease_of_a_live_process_is_not_taken_over()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        using var live = Process.GetCurrentProcess();
        var holder = $"{Environment.MachineName}/{live.Id}/{new DateTimeOffset(live.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds()}/someone-else";
        var lease = engine.Lease;

        Assert.False(lease.IsDeadHolder(holder.Replace("someone-else", lease.Holder.Split('/')[^1], StringComparison.Ordinal)));
        Assert.False(lease.IsDeadHolder("another-machine/1/0/abc"));
        Assert.True(lease.IsDeadHolder(holder)); // this pid, but no live instance of that name in this process
        Assert.True(await engine.Journal.TryAcquireLeaseAsync("another-machine/1/0/abc", RunnerLease.Ttl, CancellationToken.None));
        Assert.False(await lease.TryAcquireAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Undo_all_after_a_kill_with_the_lease_still_held_settles_pending_rows_and_restores_every_track()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();
        var keys = before.Where(kv => kv.Value is null).Select(kv => kv.Key).Take(10).ToArray();
        // The killed process: lease taken, job running, ten writes journaled as pending, six of them reached Plex.
        Assert.True(await engine.Journal.TryAcquireLeaseAsync(await DeadProcessHolderAsync(), RunnerLease.Ttl, CancellationToken.None));
        var killed = await StartedJobAsync(engine, JobMode.All);
        await engine.Journal.AddChangesAsync(killed.Id, keys.Select(k => Draft(k, null, 6)).ToArray(), ChangeState.Pending, null, null, CancellationToken.None);
        foreach (var key in keys.Take(6))
        {
            engine.Plex.Library.SetUserRating(key, 6);
        }

        var undo = await engine.RunAsync(new JobRequest(JobTrigger.Manual, JobMode.UndoAll));

        Assert.Equal(JobStatus.Succeeded, undo.Status);
        Assert.Equal(6, undo.Counts.Restored);
        Assert.Equal(before, engine.Ratings());
        var closed = (await engine.Journal.GetJobAsync(killed.Id, CancellationToken.None))!;
        Assert.Equal(JobStatus.Failed, closed.Status);
        Assert.Equal(6, closed.Counts.Rated); // history credits what reached Plex
        Assert.Equal(4, closed.Counts.Failed);
        Assert.Equal(0, await engine.Journal.CountPendingChangesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Undo_refuses_while_pending_rows_cannot_be_checked_against_plex()
    {
        var failReads = new System.Runtime.CompilerServices.StrongBox<int>(0);
        await using var engine = await TestHost.Create().Emulator().Services(b =>
            b.Services.ConfigureHttpClientDefaults(h => h.AddHttpMessageHandler(() => new FailMetadataReads(failReads)))).EngineOnly().StartAsync();
        var before = engine.Ratings();
        var key = before.First(kv => kv.Value is null).Key;
        var killed = await StartedJobAsync(engine, JobMode.All);
        await engine.Journal.AddChangesAsync(killed.Id, [Draft(key, null, 6)], ChangeState.Pending, null, null, CancellationToken.None);
        engine.Plex.Library.SetUserRating(key, 6);
        failReads.Value = 1; // Plex cannot be asked about the pending row

        var undo = await engine.RunAsync(new JobRequest(JobTrigger.Manual, JobMode.UndoAll));

        Assert.Equal(JobStatus.Failed, undo.Status);
        Assert.Contains("still pending", undo.Error, StringComparison.Ordinal);
        Assert.Equal(6, engine.Plex.Library.GetUserRating(key));
        failReads.Value = 0;
        var again = await engine.RunAsync(new JobRequest(JobTrigger.Manual, JobMode.UndoAll));
        Assert.True(again.Status == JobStatus.Succeeded, again.Error);
        Assert.Equal(before, engine.Ratings());
    }

    [Fact]
    public async Task Recovery_does_not_credit_a_later_identical_write_to_the_killed_job()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var key = engine.Ratings().First(kv => kv.Value is null).Key;
        var killed = await StartedJobAsync(engine, JobMode.All);
        await engine.Journal.AddChangesAsync(killed.Id, [Draft(key, null, 6)], ChangeState.Pending, null, null, CancellationToken.None);
        // The killed write never reached Plex; a later job (its pending row unsettled) found the track unrated and set 6.
        var later = await engine.Journal.CreateJobAsync(new JobRequest(JobTrigger.Cli, JobMode.All), ["Music"], CancellationToken.None);
        var ids = await engine.Journal.AddChangesAsync(later.Id, [Draft(key, null, 6)], ChangeState.Pending, null, null, CancellationToken.None);
        await engine.Journal.MarkAsync([new ChangeOutcome(ids[0], ChangeState.Applied)], CancellationToken.None);
        await engine.Journal.UpdateJobAsync(later with { Status = JobStatus.Succeeded }, CancellationToken.None);
        engine.Plex.Library.SetUserRating(key, 6);

        Assert.True(await engine.Executor.RecoverAsync(includeQueued: true, CancellationToken.None));

        var row = Assert.Single(await engine.ChangesAsync(killed.Id));
        Assert.Equal(ChangeState.Failed, row.State);
        Assert.Contains($"job #{later.Id} found unrated", row.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await engine.Journal.GetJobAsync(killed.Id, CancellationToken.None))!.Counts.Rated);
    }

    [Fact]
    public async Task Rerunning_a_killed_undo_counts_tracks_it_had_restored_as_restored_not_as_changed_since()
    {
        await using var engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();
        var before = engine.Ratings();
        var rate = await engine.RunAsync(JobMode.All);
        var restoredByKilledUndo = (await engine.ChangesAsync(rate.Id)).Take(5).ToArray();
        // The killed undo wrote these five back, and its rows were lost with it (e.g. an older StarSync version).
        foreach (var change in restoredByKilledUndo)
        {
            engine.Plex.Library.SetUserRating(change.RatingKey, change.OldValue);
        }

        var undo = await engine.RunAsync(JobMode.Undo, undo: rate.Id);

        Assert.Equal(JobStatus.Succeeded, undo.Status);
        Assert.Equal(0, undo.Counts.Skipped);
        Assert.Equal(rate.Counts.Rated, undo.Counts.Restored);
        Assert.DoesNotContain(await engine.ChangesAsync(undo.Id), c => c.State == ChangeState.Skipped);
        Assert.Equal(before, engine.Ratings());
    }

    [Fact]
    public async Task A_running_job_saves_its_counts_while_it_runs()
    {
        var options = new EmulatorOptions { Tracks = 600, Seed = 3, HandRatedShare = 0.1 };
        options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(15);
        // One write at a time (about 8 s for the run): adaptive concurrency would finish it before the 2 s save.
        await using var engine = await TestHost.Create().Emulator(options).SingleWrites().Config("WRITE_CONCURRENCY", "1").EngineOnly().StartAsync();
        var run = engine.RunAsync(new JobRequest(JobTrigger.Manual, JobMode.All));
        var jobId = 0L;
        await Eventually.TrueAsync(() => (jobId = engine.Queue.Snapshot().Current?.Id ?? 0) > 0, "a running job");

        await Eventually.TrueAsync(
            async () => (await engine.Journal.GetJobAsync(jobId, CancellationToken.None))!.Counts.Rated > 0, "counts saved while running", seconds: 20);

        Assert.Equal(JobStatus.Running, (await engine.Journal.GetJobAsync(jobId, CancellationToken.None))!.Status);
        await engine.Queue.CancelAsync(jobId, CancellationToken.None);
        await run;
    }

    private static ChangeDraft Draft(string key, double? old, double? @new) => new(key, "Music", "a", "b", "c", old, @new);

    private static async Task<JobRecord> StartedJobAsync(TestHost engine, JobMode mode)
    {
        var job = await engine.Journal.CreateJobAsync(new JobRequest(JobTrigger.Cli, mode), ["Music"], CancellationToken.None);
        job = job with { Status = JobStatus.Running, StartedAt = DateTimeOffset.UnixEpoch };
        await engine.Journal.UpdateJobAsync(job, CancellationToken.None);
        return job;
    }

    /// <summary>A lease holder name of a process of this machine that has exited.</summary>
    private static async Task<string> DeadProcessHolderAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return $"{Environment.MachineName}/{process.Id}/1700000000000/0123456789abcdef";
    }

    /// <summary>Fails every metadata read with 500 while <c>failing</c> is 1.</summary>
    private sealed class FailMetadataReads(System.Runtime.CompilerServices.StrongBox<int> failing) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.StartsWith("/library/metadata/", StringComparison.Ordinal) && Volatile.Read(ref failing.Value) == 1)
            {
                return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError) { RequestMessage = request });
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
