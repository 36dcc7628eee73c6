using StarSync.Configuration;
using StarSync.Journal;
using StarSync.Rating;

namespace StarSync.Jobs;

/// <summary>What the queue is doing now.</summary>
public sealed record QueueSnapshot(JobRecord? Current, JobProgress? Progress, IReadOnlyList<JobRecord> Queued);

/// <summary>
/// The one queue every trigger uses (buttons, schedule, webhooks, CLI, API). One job runs at a time; a request for
/// the same work as a queued job joins it; queued webhook item jobs absorb new items, so a library scan's burst of
/// events becomes at most one running and one waiting job.
/// </summary>
public sealed partial class JobQueue(JournalStore journal, SettingsStore settings, TimeProvider time, ILogger<JobQueue> logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<JobRecord> _queued = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _enqueueGate = new(1, 1);

    /// <summary>A waiting webhook job absorbs new items up to this many; a huge import then becomes a few jobs, not one unbounded list.</summary>
    private const int MaxItemsPerJob = 10_000;
    private JobRecord? _current;
    private JobProgress? _progress;
    private CancellationTokenSource? _currentCancellation;

    /// <summary>How long the runner lease lasts without renewal; a crashed holder blocks others at most this long.</summary>
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(60);

    /// <summary>This process's name in the runner lease.</summary>
    private readonly string _leaseHolder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Raised when a job is queued, starts, or ends (with its final counts).</summary>
    public event Action<JobRecord>? JobChanged;

    /// <summary>Raised with the running job's counters (a few times a second at most).</summary>
    public event Action<JobProgress>? ProgressChanged;

    /// <summary>Queues a job, or returns the queued job that already covers this request.</summary>
    public async Task<JobRecord> EnqueueAsync(JobRequest request, CancellationToken cancellationToken)
    {
        // One enqueue at a time: the "already queued?" check and the insert must not interleave, or two identical
        // requests arriving together would both become jobs.
        await _enqueueGate.WaitAsync(cancellationToken);
        try
        {
            return await EnqueueGatedAsync(request, cancellationToken);
        }
        finally
        {
            _enqueueGate.Release();
        }
    }

    private async Task<JobRecord> EnqueueGatedAsync(JobRequest request, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var same = _queued.FirstOrDefault(q => q.Request.SameWorkAs(request));
            if (same is not null)
            {
                LogCoalesced(request.Describe(), same.Id);
                return same;
            }

            var itemsJob = request.Mode == JobMode.Items
                ? _queued.FindIndex(q => q.Mode == JobMode.Items && q.DryRun == request.DryRun &&
                    (q.Request.ItemKeys?.Count ?? 0) + (request.ItemKeys?.Count ?? 0) <= MaxItemsPerJob)
                : -1;
            if (itemsJob >= 0)
            {
                var existing = _queued[itemsJob];
                var keys = (existing.Request.ItemKeys ?? []).Union(request.ItemKeys ?? []).ToArray();
                var merged = existing.Request with { ItemKeys = keys };
                _queued[itemsJob] = existing with { Request = merged, Description = merged.Describe() };
                LogCoalesced(request.Describe(), existing.Id);
                return _queued[itemsJob];
            }
        }

        var job = await journal.CreateJobAsync(request, settings.Current.Libraries, cancellationToken);
        lock (_lock)
        {
            _queued.Add(job);
        }

        LogQueued(job.Id, job.Description, job.Trigger);
        JobChanged?.Invoke(job);
        _signal.Release();
        return job;
    }

    /// <summary>Cancels the running job (or a queued one by id). Returns false when there was nothing to cancel.</summary>
    public async Task<bool> CancelAsync(long? jobId, CancellationToken cancellationToken)
    {
        JobRecord? removed = null;
        CancellationTokenSource? running = null;
        lock (_lock)
        {
            var index = jobId is null ? -1 : _queued.FindIndex(q => q.Id == jobId);
            if (index >= 0)
            {
                removed = _queued[index] with { Status = JobStatus.Cancelled, FinishedAt = time.GetUtcNow() };
                _queued.RemoveAt(index);
            }
            else if (_current is not null && (jobId is null || jobId == _current.Id))
            {
                running = _currentCancellation;
            }
        }

        if (removed is not null)
        {
            await journal.UpdateJobAsync(removed, cancellationToken);
            JobChanged?.Invoke(removed);
            return true;
        }

        if (running is not null)
        {
            try
            {
                await running.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                return false; // the job ended between the look-up and the cancel
            }

            return true;
        }

        return false;
    }

    /// <summary>The running job, its progress and the waiting jobs.</summary>
    public QueueSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new QueueSnapshot(_current, _progress, _queued.ToArray());
        }
    }

    /// <summary>True while a job runs or waits (the scheduler skips a tick then).</summary>
    public bool IsBusy
    {
        get
        {
            lock (_lock)
            {
                return _current is not null || _queued.Count > 0;
            }
        }
    }

    /// <summary>Waits for the next queued job and runs it to the end. Used by <see cref="JobRunner"/> and the CLI.</summary>
    public async Task<JobRecord> RunNextAsync(RatingJob ratingJob, CancellationToken stoppingToken)
    {
        while (true)
        {
            await _signal.WaitAsync(stoppingToken);
            lock (_lock)
            {
                // A queued job cancelled by id leaves its signal behind: nothing to run for it.
                if (_queued.Count > 0)
                {
                    break;
                }
            }
        }

        try
        {
            await WaitForLeaseAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            _signal.Release(); // the job stays queued for whoever runs next
            throw;
        }

        try
        {
            using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var renewal = RenewLeaseAsync(renewing.Token);
            try
            {
                return await RunLeasedAsync(ratingJob, stoppingToken);
            }
            finally
            {
                await renewing.CancelAsync();
                await renewal;
            }
        }
        finally
        {
            await journal.ReleaseLeaseAsync(_leaseHolder, CancellationToken.None);
        }
    }

    /// <summary>
    /// Takes the cross-process runner lease for one piece of work (recovery), or returns false at once when another
    /// StarSync process (the web app, or a CLI run from cron) is running a job. Release with <see cref="ReleaseLeaseAsync"/>.
    /// </summary>
    public Task<bool> TryAcquireLeaseAsync(CancellationToken cancellationToken) =>
        journal.TryAcquireLeaseAsync(_leaseHolder, LeaseTtl, cancellationToken);

    /// <summary>Gives the runner lease back.</summary>
    public Task ReleaseLeaseAsync(CancellationToken cancellationToken) => journal.ReleaseLeaseAsync(_leaseHolder, cancellationToken);

    /// <summary>One job at a time also across processes: wait while another process holds the lease.</summary>
    private async Task WaitForLeaseAsync(CancellationToken cancellationToken)
    {
        var logged = false;
        while (!await journal.TryAcquireLeaseAsync(_leaseHolder, LeaseTtl, cancellationToken))
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
        using var timer = new PeriodicTimer(LeaseTtl / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    if (!await journal.TryAcquireLeaseAsync(_leaseHolder, LeaseTtl, cancellationToken))
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

    private async Task<JobRecord> RunLeasedAsync(RatingJob ratingJob, CancellationToken stoppingToken)
    {
        JobRecord job;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        lock (_lock)
        {
            job = _queued[0] with { Status = JobStatus.Running, StartedAt = time.GetUtcNow(), Libraries = settings.Current.Libraries };
            _queued.RemoveAt(0);
            _current = job;
            _progress = null;
            _currentCancellation = cancellation;
        }

        try
        {
            await journal.UpdateJobAsync(job, CancellationToken.None);
            JobChanged?.Invoke(job);
            LogStarted(job.Id, job.Description);
            var done = await ratingJob.RunAsync(job, OnProgress, cancellation.Token);
            job = done with { Status = JobStatus.Succeeded };
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            job = job with { Status = JobStatus.Cancelled, Counts = _progress?.Counts ?? job.Counts, Error = stoppingToken.IsCancellationRequested ? "StarSync is shutting down" : "Cancelled on request" };
        }
        catch (Exception ex)
        {
            // A failed job must not stop the queue; the reason is kept with the job for the history page.
            LogFailed(ex, job.Id, ex.Message);
            job = job with { Status = JobStatus.Failed, Counts = _progress?.Counts ?? job.Counts, Error = ex.Message };
        }

        finally
        {
            lock (_lock)
            {
                _current = null;
                _currentCancellation = null;
            }
        }

        job = job with { FinishedAt = time.GetUtcNow() };
        await journal.UpdateJobAsync(job, CancellationToken.None);
        var c = job.Counts;
        LogFinished(job.Id, job.Description, job.Status.ToString().ToLowerInvariant(), c.Rated, c.Updated, c.Cleared, c.Restored, c.Skipped, c.Failed);
        JobChanged?.Invoke(job);
        return job;

        void OnProgress(JobProgress progress)
        {
            lock (_lock)
            {
                _progress = progress;
                if (_current is not null)
                {
                    _current = _current with { Counts = progress.Counts };
                }
            }

            ProgressChanged?.Invoke(progress);
        }
    }

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "The runner lease was taken by another StarSync process while a job ran here (was this process paused for over a minute?)")]
    private partial void LogLeaseLost();

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Could not renew the runner lease; trying again shortly")]
    private partial void LogLeaseRenewalFailed(Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Another StarSync process (the web app or a CLI run) is running a job; the next job starts when it ends")]
    private partial void LogWaitingForOtherProcess();

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Job #{JobId} queued: {Description} (trigger: {Trigger})")]
    private partial void LogQueued(long jobId, string description, JobTrigger trigger);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Request '{Description}' joined queued job #{JobId}")]
    private partial void LogCoalesced(string description, long jobId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Job #{JobId} started: {Description}")]
    private partial void LogStarted(long jobId, string description);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Job #{JobId} {Status}: {Description}. Rated {Rated}, updated {Updated}, cleared {Cleared}, restored {Restored}, skipped {Skipped}, failed {Failed}")]
    private partial void LogFinished(long jobId, string description, string status, int rated, int updated, int cleared, int restored, int skipped, int failed);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "Job #{JobId} failed: {Reason}")]
    private partial void LogFailed(Exception exception, long jobId, string reason);

    /// <inheritdoc />
    public void Dispose()
    {
        _signal.Dispose();
        _enqueueGate.Dispose();
    }
}
