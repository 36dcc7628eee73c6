using System.Collections.Concurrent;
using StarSync.Configuration;
using StarSync.Journal;

namespace StarSync.Jobs;

/// <summary>What the queue is doing now.</summary>
public sealed record QueueSnapshot(JobRecord? Current, JobProgress? Progress, IReadOnlyList<JobRecord> Queued);

/// <summary>
/// The one queue every trigger uses (buttons, schedule, webhooks, CLI, API): enqueue, coalesce, cancel, snapshot.
/// It only queues; <see cref="JobExecutor"/> takes jobs off it and runs them. A request for the same work as a queued
/// job joins it; queued webhook item jobs absorb new items, so a library scan's burst of events becomes at most one
/// running and one waiting job.
/// </summary>
public sealed partial class JobQueue(JournalStore journal, SettingsStore settings, IJobEvents events, TimeProvider time, ILogger<JobQueue> logger) : IDisposable
{
    /// <summary>A waiting webhook job absorbs new items up to this many; a huge import then becomes a few jobs, not one unbounded list.</summary>
    private const int MaxItemsPerJob = 10_000;

    private readonly Lock _lock = new();
    private readonly List<JobRecord> _queued = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _enqueueGate = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JobRecord>> _finished = new();
    private JobRecord? _current;
    private JobProgress? _progress;
    private CancellationTokenSource? _currentCancellation;

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
        events.JobChanged(job);
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
            events.JobChanged(removed);
            Finished(removed);
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

    /// <summary>Waits until a job is queued and claims it for the caller (the executor); give it back with <see cref="ReturnWork"/>.</summary>
    internal async Task WaitForWorkAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _signal.WaitAsync(cancellationToken);
            lock (_lock)
            {
                // A queued job cancelled by id leaves its signal behind: nothing to run for it.
                if (_queued.Count > 0)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Gives a claim back unused: the job stays queued for whoever runs next.</summary>
    internal void ReturnWork() => _signal.Release();

    /// <summary>Moves the first queued job to "current"; null when a cancel emptied the queue meanwhile.</summary>
    internal JobRecord? Start(Func<JobRecord, JobRecord> starting, CancellationTokenSource cancellation)
    {
        lock (_lock)
        {
            if (_queued.Count == 0)
            {
                return null;
            }

            var job = starting(_queued[0]);
            _queued.RemoveAt(0);
            _current = job;
            _progress = null;
            _currentCancellation = cancellation;
            return job;
        }
    }

    /// <summary>The running job's latest counters.</summary>
    internal void Progress(JobProgress progress)
    {
        lock (_lock)
        {
            _progress = progress;
            if (_current is not null && _current.Id == progress.JobId)
            {
                _current = _current with { Counts = progress.Counts };
            }
        }
    }

    /// <summary>The running job as last reported (counters included).</summary>
    internal JobRecord? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>Ids of the jobs waiting in this process (recovery leaves them alone).</summary>
    internal IReadOnlySet<long> QueuedIds
    {
        get
        {
            lock (_lock)
            {
                return _queued.Select(q => q.Id).ToHashSet();
            }
        }
    }

    /// <summary>The running job ended (its final record is in the journal).</summary>
    internal void Stop(JobRecord finished)
    {
        lock (_lock)
        {
            _current = null;
            _currentCancellation = null;
        }

        Finished(finished);
    }

    /// <summary>Completes when job <paramref name="jobId"/> ends in this process (ran, failed, or was cancelled while queued).</summary>
    internal Task<JobRecord> WhenFinished(long jobId) =>
        _finished.GetOrAdd(jobId, _ => new TaskCompletionSource<JobRecord>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Drops the completion of a job nobody waits for any more.</summary>
    internal void ForgetFinished(long jobId) => _finished.TryRemove(jobId, out _);

    private void Finished(JobRecord job)
    {
        if (_finished.TryRemove(job.Id, out var completion))
        {
            completion.TrySetResult(job);
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Job #{JobId} queued: {Description} (trigger: {Trigger})")]
    private partial void LogQueued(long jobId, string description, JobTrigger trigger);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Request '{Description}' joined queued job #{JobId}")]
    private partial void LogCoalesced(string description, long jobId);

    /// <inheritdoc />
    public void Dispose()
    {
        _signal.Dispose();
        _enqueueGate.Dispose();
    }
}
