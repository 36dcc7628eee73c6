using StarSync.Jobs;

namespace StarSync.Journal;

/// <summary>
/// Keeps the journal's word index (history search) in step, off the write path: at start (which also covers the rows
/// of a job that crashed), after each job ends, and every <see cref="Poll"/> for jobs a CLI run journaled. It never
/// works while a job runs here, and works in short transactions, so a job that starts waits at most one chunk for
/// the journal. Until it has caught up, search finds the newest changes by LIKE (same answers, slower).
/// </summary>
public sealed partial class WordIndexer(JournalStore journal, TimeProvider time, ILogger<WordIndexer> logger) : BackgroundService, IJobEventHandler
{
    /// <summary>Changes indexed per transaction (about 0.1 s of the journal's writer).</summary>
    public const int Chunk = 2_000;

    /// <summary>How often the indexer looks for changes another process journaled (a CLI run from cron).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMinutes(10);

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _gate = new();
    private readonly HashSet<long> _running = [];

    /// <inheritdoc />
    public void OnJobChanged(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            if (job.Status == JobStatus.Running)
            {
                _running.Add(job.Id);
                return;
            }

            if (!_running.Remove(job.Id) || _running.Count > 0)
            {
                return;
            }
        }

        Wake();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await journal.InitializeAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await CatchUpAsync(stoppingToken);
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var woken = _wake.WaitAsync(poll.Token);
                await Task.WhenAny(woken, Task.Delay(Poll, time, poll.Token));
                await poll.CancelAsync();
                await woken.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; the rest is indexed at the next start.
        }
    }

    /// <summary>Indexes every change not in the index yet, a chunk at a time, stopping while a job runs.</summary>
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var indexed = 0L;
        var started = time.GetTimestamp();
        try
        {
            while (!JobRunning())
            {
                var added = await journal.IndexWordsAsync(Chunk, cancellationToken);
                if (added == 0)
                {
                    break;
                }

                indexed += added;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A busy or damaged journal: search still works (by LIKE); try again at the next wake-up.
            LogIndexFailed(ex);
        }

        if (indexed > 0)
        {
            LogIndexed(indexed, time.GetElapsedTime(started).TotalSeconds);
        }
    }

    private bool JobRunning()
    {
        lock (_gate)
        {
            return _running.Count > 0;
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 2105, Level = LogLevel.Debug, Message = "Word index: {Count} changes added for history search in {Seconds:0.0} s")]
    private partial void LogIndexed(long count, double seconds);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Word index: could not add changes for history search (search still finds them, more slowly); retrying after the next job")]
    private partial void LogIndexFailed(Exception exception);
}
