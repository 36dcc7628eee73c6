using StarSync.Configuration;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Jobs;

/// <summary>
/// Runs queued jobs, one at a time in this process and, through the <see cref="RunnerLease"/>, across processes. It
/// owns everything around a run: the lease, recovery of what a killed process left, status changes, persistence of
/// the counters while the job runs, and progress events. Web app (through <see cref="JobRunner"/>), CLI, bench and
/// tests all run jobs through it.
/// </summary>
public sealed partial class JobExecutor(
    JobQueue queue,
    RatingJob ratingJob,
    JournalStore journal,
    IPlexClient plex,
    RunnerLease lease,
    SettingsStore settings,
    IJobEvents events,
    TimeProvider time,
    ILogger<JobExecutor> logger) : IDisposable
{
    /// <summary>How often a running job's counters are saved, so history tells the truth even after a kill.</summary>
    public static readonly TimeSpan SaveCountsEvery = TimeSpan.FromSeconds(2);

    /// <summary>One job at a time in this process (the runner and a direct caller may both want to run one).</summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    private Action<JobProgress>? _observer;
    private long _observedJob;

    /// <summary>
    /// Queues <paramref name="request"/> and returns when that job has ended, running it (and whatever was queued
    /// before it) here unless this process's <see cref="JobRunner"/> gets to it first. When
    /// <paramref name="cancellationToken"/> fires before the job started, the job is cancelled and this throws.
    /// </summary>
    public Task<JobRecord> RunToCompletionAsync(JobRequest request, CancellationToken cancellationToken) =>
        RunToCompletionAsync(request, null, cancellationToken);

    /// <inheritdoc cref="RunToCompletionAsync(JobRequest, CancellationToken)"/>
    /// <param name="request">The work.</param>
    /// <param name="progress">Receives this job's counters as it runs, synchronously (the CLI's progress line).</param>
    /// <param name="cancellationToken">Cancels the job (or, while it waits, its place in the queue).</param>
    public async Task<JobRecord> RunToCompletionAsync(JobRequest request, Action<JobProgress>? progress, CancellationToken cancellationToken)
    {
        var job = await queue.EnqueueAsync(request, cancellationToken);
        var finished = queue.WhenFinished(job.Id);
        if (progress is not null)
        {
            Volatile.Write(ref _observer, progress);
            Interlocked.Exchange(ref _observedJob, job.Id);
        }

        try
        {
            // The runner may have run it between the enqueue and the line above: then the journal has the end.
            if (await journal.GetJobAsync(job.Id, cancellationToken) is { Status: not JobStatus.Queued and not JobStatus.Running } ended)
            {
                return ended;
            }

            while (!finished.IsCompleted)
            {
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var claim = ClaimAsync(waiting.Token);
                if (await Task.WhenAny(claim, finished) == finished)
                {
                    // Someone else (the runner) ran it: give back a claim we may have got meanwhile.
                    await waiting.CancelAsync();
                    try
                    {
                        await claim;
                        queue.ReturnWork();
                        _gate.Release();
                    }
                    catch (OperationCanceledException)
                    {
                        // Nothing was claimed.
                    }

                    break;
                }

                await claim;
                try
                {
                    await RunClaimedAsync(cancellationToken);
                }
                finally
                {
                    _gate.Release();
                }
            }

            return await finished;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !finished.IsCompleted)
        {
            // Cancelled while waiting (e.g. for another process's job): it never started, so it never will.
            await queue.CancelAsync(job.Id, CancellationToken.None);
            throw;
        }
        finally
        {
            queue.ForgetFinished(job.Id);
            if (progress is not null)
            {
                Interlocked.CompareExchange(ref _observer, null, progress);
            }
        }
    }

    /// <summary>Waits for the next queued job and runs it to the end. The <see cref="JobRunner"/> loop.</summary>
    public async Task<JobRecord> RunNextAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            await ClaimAsync(stoppingToken);
            try
            {
                if (await RunClaimedAsync(stoppingToken) is { } job)
                {
                    return job;
                }
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>
    /// Settles what a killed process left behind, if the lease is free: jobs left running (or, with
    /// <paramref name="includeQueued"/>, queued jobs that are not in this process's queue) and pending changes.
    /// Returns false when another live process holds the lease (it is running a job; its rows are not leftovers).
    /// </summary>
    public async Task<bool> RecoverAsync(bool includeQueued, CancellationToken cancellationToken)
    {
        if (!await lease.TryAcquireAsync(cancellationToken))
        {
            LogRecoverySkipped();
            return false;
        }

        try
        {
            await RecoverLeasedAsync(includeQueued, cancellationToken);
            return true;
        }
        finally
        {
            await lease.ReleaseAsync(CancellationToken.None);
        }
    }

    /// <summary>The gate, then a queued job: both or neither.</summary>
    private async Task ClaimAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await queue.WaitForWorkAsync(cancellationToken);
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>Runs the claimed job under the lease; null when a cancel emptied the queue meanwhile.</summary>
    private async Task<JobRecord?> RunClaimedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitForLeaseAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            queue.ReturnWork(); // the job stays queued for whoever runs next
            throw;
        }

        try
        {
            using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var renewal = RenewLeaseAsync(renewing.Token);
            try
            {
                // Whatever a killed process left is settled before anything new is written, and before any undo
                // reads the journal: a pending row is never skipped.
                try
                {
                    await RecoverLeasedAsync(includeQueued: false, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    queue.ReturnWork();
                    throw;
                }
                catch (Exception ex)
                {
                    // The job still runs (an undo refuses by itself while rows stay pending); the next job tries again.
                    LogRecoveryFailed(ex, ex.Message);
                }

                return await RunLeasedAsync(stoppingToken);
            }
            finally
            {
                await renewing.CancelAsync();
                await renewal;
            }
        }
        finally
        {
            await lease.ReleaseAsync(CancellationToken.None);
        }
    }

    /// <summary>One job at a time also across processes: wait while another live process holds the lease.</summary>
    private async Task WaitForLeaseAsync(CancellationToken cancellationToken)
    {
        var logged = false;
        while (!await lease.TryAcquireAsync(cancellationToken))
        {
            if (!logged)
            {
                LogWaitingForOtherProcess();
                logged = true;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken);
        }
    }

    private async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RunnerLease.RenewEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    if (!await lease.TryAcquireAsync(cancellationToken))
                    {
                        LogLeaseLost();
                    }
                }
                catch (Microsoft.Data.Sqlite.SqliteException ex)
                {
                    // A busy or locked journal must not fail the job; the next tick tries again well before expiry.
                    LogLeaseRenewalFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The job ended; the lease is released by the caller.
        }
    }

    /// <summary>Saves the running job's counters every few seconds (one small UPDATE), so a kill leaves them true.</summary>
    private async Task SaveCountsAsync(long jobId, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SaveCountsEvery, time);
        JobCounts? saved = null;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (queue.Current is { } current && current.Id == jobId && current.Counts != saved)
                {
                    try
                    {
                        await journal.UpdateJobAsync(current, cancellationToken);
                        saved = current.Counts;
                    }
                    catch (Microsoft.Data.Sqlite.SqliteException ex)
                    {
                        LogCountsSaveFailed(ex, jobId);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The job ended; its final counts are saved by the caller.
        }
    }

    private async Task<JobRecord?> RunLeasedAsync(CancellationToken stoppingToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var started = queue.Start(q => q with { Status = JobStatus.Running, StartedAt = time.GetUtcNow(), Libraries = settings.Current.Libraries }, cancellation);
        if (started is null)
        {
            return null;
        }

        var job = started;
        using var saving = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        Task? saver = null;
        try
        {
            await journal.UpdateJobAsync(job, CancellationToken.None);
            events.JobChanged(job);
            LogStarted(job.Id, job.Description);
            saver = SaveCountsAsync(job.Id, saving.Token);
            var done = await ratingJob.RunAsync(job, OnProgress, cancellation.Token);
            job = done with { Status = JobStatus.Succeeded };
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            job = job with { Status = JobStatus.Cancelled, Counts = queue.Current?.Counts ?? job.Counts, Error = stoppingToken.IsCancellationRequested ? "StarSync is shutting down" : "Cancelled on request" };
        }
        catch (Exception ex)
        {
            // A failed job must not stop the queue; the reason is kept with the job for the history page.
            LogFailed(ex, job.Id, ex.Message);
            job = job with { Status = JobStatus.Failed, Counts = queue.Current?.Counts ?? job.Counts, Error = ex.Message };
        }
        finally
        {
            await saving.CancelAsync();
            if (saver is not null)
            {
                await saver;
            }
        }

        job = job with { FinishedAt = time.GetUtcNow() };
        try
        {
            await journal.UpdateJobAsync(job, CancellationToken.None);
        }
        finally
        {
            queue.Stop(job);
        }

        var c = job.Counts;
        LogFinished(job.Id, job.Description, job.Status.ToString().ToLowerInvariant(), c.Rated, c.Updated, c.Cleared, c.Restored, c.Skipped, c.Failed);
        events.JobChanged(job);
        return job;

        void OnProgress(JobProgress progress)
        {
            queue.Progress(progress);
            events.Progress(progress);
            if (Interlocked.Read(ref _observedJob) == progress.JobId)
            {
                Volatile.Read(ref _observer)?.Invoke(progress);
            }
        }
    }

    /// <summary>Under the lease: close jobs a killed process left open and settle its pending changes against Plex.</summary>
    private async Task RecoverLeasedAsync(bool includeQueued, CancellationToken cancellationToken)
    {
        var mine = queue.QueuedIds;
        foreach (var job in await journal.GetUnfinishedJobsAsync(cancellationToken))
        {
            // Queued jobs may belong to a process waiting for the lease right now (a CLI beside the web app); only
            // the web app at start closes those, and never the ones in its own queue.
            if (job.Status == JobStatus.Queued && (!includeQueued || mine.Contains(job.Id)))
            {
                continue;
            }

            var closed = job.Status == JobStatus.Queued
                ? job with { Status = JobStatus.Cancelled, Error = "StarSync restarted before this job ran" }
                : job with { Status = JobStatus.Failed, Error = "Interrupted: StarSync stopped while this job ran", Counts = await InterruptedCountsAsync(job, cancellationToken) };
            await journal.UpdateJobAsync(closed with { FinishedAt = time.GetUtcNow() }, cancellationToken);
            LogClosed(job.Id, closed.Status.ToString().ToLowerInvariant());
            events.JobChanged(closed);
        }

        var pending = await journal.GetPendingChangesAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return;
        }

        try
        {
            var current = (await plex.GetTracksByKeysAsync(pending.Select(p => p.Change.RatingKey).Distinct().ToArray(), cancellationToken))
                .ToDictionary(t => t.RatingKey);
            var outcomes = pending.Select(p => RecoveredOutcome(p, current.GetValueOrDefault(p.Change.RatingKey))).ToArray();
            await journal.MarkAsync(outcomes, cancellationToken);
            LogReconciled(outcomes.Length, outcomes.Count(o => o.State == ChangeState.Applied));
            foreach (var jobId in pending.Select(p => p.Change.JobId).Distinct())
            {
                // The settled rows change the interrupted job's counts.
                if (await journal.GetJobAsync(jobId, cancellationToken) is { Status: JobStatus.Failed } job && job.Error?.StartsWith("Interrupted", StringComparison.Ordinal) == true)
                {
                    await journal.UpdateJobAsync(job with { Counts = await InterruptedCountsAsync(job, cancellationToken) }, cancellationToken);
                }
            }
        }
        catch (PlexException ex)
        {
            LogReconcileFailed(pending.Count, ex.Message);
        }
    }

    /// <summary>
    /// The outcome of a change a killed process left pending. A later journaled change of the same track saw the
    /// track after this one was sent, so its old value decides (Plex's value now may have been set again by that later
    /// change, and must not be credited to this one); without one, the track as Plex has it now decides.
    /// </summary>
    public static ChangeOutcome RecoveredOutcome(PendingChange pending, PlexTrack? current)
    {
        ArgumentNullException.ThrowIfNull(pending);
        const string WhyNot = "interrupted: StarSync stopped before Plex took it";
        var change = pending.Change;
        if (pending.Later is not { } later)
        {
            return ChangeWriter.ReadBackOutcome(change.Id, change.OldValue, change.NewValue, current, WhyNot);
        }

        return RatingPolicy.SameRating(later.OldValue, change.NewValue) && !RatingPolicy.SameRating(later.OldValue, change.OldValue)
            ? new ChangeOutcome(change.Id, ChangeState.Applied, $"confirmed: job #{later.JobId} found the value it set")
            : new ChangeOutcome(change.Id, ChangeState.Failed, $"{WhyNot}; job #{later.JobId} found {RatingScale.Describe(later.OldValue)}");
    }

    /// <summary>
    /// The counts of an interrupted job: what was written comes from its journal rows (exact), what left no row
    /// (tracks looked at and left alone) from the counters saved while it ran.
    /// </summary>
    private async Task<JobCounts> InterruptedCountsAsync(JobRecord job, CancellationToken cancellationToken)
    {
        var rows = await journal.CountChangesAsync(job.Id, cancellationToken);
        var saved = job.Counts;
        var skipped = Math.Max(saved.Skipped, rows.Skipped);
        var undo = job.Mode is JobMode.Undo or JobMode.UndoAll;
        // Still-pending rows (Plex could not be asked) count as failed until they are settled.
        var failed = rows.Failed + rows.Pending;
        var restored = undo ? rows.Rated + rows.Updated + rows.Cleared : 0;
        var done = Math.Max(saved.Done, rows.Rated + rows.Updated + rows.Cleared + failed + skipped);
        return new JobCounts(Math.Max(saved.Total, done), done,
            undo ? 0 : rows.Rated, undo ? 0 : rows.Updated, skipped, failed, undo ? 0 : rows.Cleared, restored);
    }

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "The runner lease was taken by another StarSync process while a job ran here (was this process paused for over a minute?)")]
    private partial void LogLeaseLost();

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Could not renew the runner lease; trying again shortly")]
    private partial void LogLeaseRenewalFailed(Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Another StarSync process (the web app or a CLI run) is running a job; the next job starts when it ends")]
    private partial void LogWaitingForOtherProcess();

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Job #{JobId} started: {Description}")]
    private partial void LogStarted(long jobId, string description);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Job #{JobId} {Status}: {Description}. Rated {Rated}, updated {Updated}, cleared {Cleared}, restored {Restored}, skipped {Skipped}, failed {Failed}")]
    private partial void LogFinished(long jobId, string description, string status, int rated, int updated, int cleared, int restored, int skipped, int failed);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Job #{JobId} failed: {Reason}")]
    private partial void LogFailed(Exception exception, long jobId, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Could not save the counters of job #{JobId}; trying again shortly")]
    private partial void LogCountsSaveFailed(Exception exception, long jobId);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Job #{JobId}, left open by a StarSync process that stopped, is now {Status}")]
    private partial void LogClosed(long jobId, string status);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Could not settle what an earlier run left behind: {Reason}. Trying again before the next job")]
    private partial void LogRecoveryFailed(Exception exception, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Another StarSync process is running a job; leaving its journal entries alone")]
    private partial void LogRecoverySkipped();

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Reconciled {Count} changes left pending by the last run against Plex: {Applied} had been applied")]
    private partial void LogReconciled(int count, int applied);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "{Count} changes are still pending from the last run; Plex could not be asked now ({Reason}). They are checked again before the next job, and no undo runs until then")]
    private partial void LogReconcileFailed(int count, string reason);

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();
}
