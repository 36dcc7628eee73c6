using Microsoft.Extensions.Options;
using System.Threading.Channels;
using StarSync.Configuration;
using StarSync.Jobs;

using StarSync.Plex;

namespace StarSync.Automation;

/// <summary>
/// Every BATCH_INTERVAL_MINUTES, queues "rate up to BATCH_SIZE unrated tracks, newest first", so every unrated track is
/// reached over time (the old tool only looked at the newest BATCH_SIZE tracks). An interval change applies at once.
/// </summary>
/// <remarks>
/// The timer is created synchronously (on start and in the settings callback) and only posts a tick; the async work
/// runs in <see cref="ExecuteAsync"/>. That keeps timer callbacks free of fire-and-forget tasks and makes the schedule
/// deterministic under a fake <see cref="TimeProvider"/>: a tick exists as soon as Advance returns.
/// </remarks>
public sealed partial class ScheduleService(
    JobQueue queue,
    SettingsStore settings,
    AutomationState state,
    TimeProvider time,
    IOptionsMonitor<PlexOptions> plex,
    ILogger<ScheduleService> logger) : BackgroundService
{
    // System timers cannot be armed for more than ~49 days (BATCH_INTERVAL_MINUTES allows a year); a long wait is
    // made of shorter ones that re-check the due time.
    private static readonly TimeSpan s_maxTimerDelay = TimeSpan.FromDays(1);

    private readonly Lock _lock = new();

    // Capacity 1, drop when full: ticks missed while a previous tick is still being handled collapse into one.
    private readonly Channel<DateTimeOffset> _ticks = Channel.CreateBounded<DateTimeOffset>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private ITimer? _timer;
    private int _intervalMinutes;
    private DateTimeOffset? _nextRunAt;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribe before reading the interval, so a change made in between is not lost.
        settings.Changed += OnSettingsChanged;
        Reschedule(settings.Current.BatchIntervalMinutes, started: true);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        settings.Changed -= OnSettingsChanged;
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            _nextRunAt = null;
            state.NextRunAt = null;
        }

        await base.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var tick in _ticks.Reader.ReadAllAsync(stoppingToken))
            {
                await RunTickAsync(tick, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private async Task RunTickAsync(DateTimeOffset tick, CancellationToken stoppingToken)
    {
        try
        {
            if (queue.IsBusy)
            {
                // Runs never overlap; the unrated tracks are still there at the next tick.
                var current = queue.Snapshot().Current;
                LogSkippedBusy(current?.Id, state.NextRunAt);
                return;
            }

            if (!plex.CurrentValue.IsConfigured)
            {
                // Quietly: the health banner and the start-up line already say what is missing.
                LogSkippedNotConfigured(state.NextRunAt);
                return;
            }

            var batchSize = settings.Current.BatchSize;
            var job = await queue.EnqueueAsync(new JobRequest(JobTrigger.Schedule, JobMode.UnratedBatch, Count: batchSize), stoppingToken);
            LogTick(tick, job.Id, batchSize, state.NextRunAt);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Queuing only writes the journal; whatever went wrong, the schedule lives on and tries again next tick.
            LogTickFailed(ex, ex.Message, state.NextRunAt);
        }
    }

    private void OnSettingsChanged(StarSyncSettings changed)
    {
        bool differs;
        lock (_lock)
        {
            differs = changed.BatchIntervalMinutes != _intervalMinutes;
        }

        // Other settings changes must not push the next run back.
        if (differs)
        {
            Reschedule(changed.BatchIntervalMinutes, started: false);
        }
    }

    private void Reschedule(int minutes, bool started)
    {
        DateTimeOffset? next;
        lock (_lock)
        {
            _intervalMinutes = minutes;
            _timer?.Dispose();
            _timer = null;
            if (minutes <= 0)
            {
                _nextRunAt = null;
            }
            else
            {
                var now = time.GetUtcNow();
                _nextRunAt = now + TimeSpan.FromMinutes(minutes);
                _timer = time.CreateTimer(OnTimer, null, TimerDelay(_nextRunAt.Value - now), Timeout.InfiniteTimeSpan);
            }

            next = _nextRunAt;
            state.NextRunAt = next;
        }

        if (next is null)
        {
            LogOff(started ? "at start" : "after a settings change");
        }
        else
        {
            LogScheduled(minutes, next.Value, started ? "at start" : "after a settings change");
        }
    }

    private void OnTimer(object? _)
    {
        DateTimeOffset now;
        lock (_lock)
        {
            // A callback already in flight when the timer was replaced or stopped finds the new state here; the due
            // time decides, so it can never cause an early or doubled run.
            if (_timer is null || _nextRunAt is not { } due)
            {
                return;
            }

            now = time.GetUtcNow();
            if (now < due)
            {
                _timer.Change(TimerDelay(due - now), Timeout.InfiniteTimeSpan);
                return;
            }

            var interval = TimeSpan.FromMinutes(_intervalMinutes);
            _nextRunAt = now + interval;
            state.NextRunAt = _nextRunAt;
            _timer.Change(TimerDelay(interval), Timeout.InfiniteTimeSpan);
        }

        _ticks.Writer.TryWrite(now);
    }

    private static TimeSpan TimerDelay(TimeSpan wanted) =>
        wanted <= TimeSpan.Zero ? TimeSpan.Zero : wanted < s_maxTimerDelay ? wanted : s_maxTimerDelay;

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Schedule: every {IntervalMinutes} minutes, next run at {NextRunAt:u} (set {When})")]
    private partial void LogScheduled(int intervalMinutes, DateTimeOffset nextRunAt, string when);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Schedule is off (BATCH_INTERVAL_MINUTES is 0; set {When})")]
    private partial void LogOff(string when);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Scheduled run at {Tick:u} queued job #{JobId}: up to {BatchSize} unrated tracks. Next run at {NextRunAt:u}")]
    private partial void LogTick(DateTimeOffset tick, long jobId, int batchSize, DateTimeOffset? nextRunAt);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Scheduled run skipped: another job is running or waiting (running: #{RunningJobId}). Next run at {NextRunAt:u}")]
    private partial void LogSkippedBusy(long? runningJobId, DateTimeOffset? nextRunAt);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "Scheduled run skipped: no Plex server URL and token yet (Settings → Plex connection). Next run at {NextRunAt:u}")]
    private partial void LogSkippedNotConfigured(DateTimeOffset? nextRunAt);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Error, Message = "Scheduled run could not be queued: {Reason}. Trying again at {NextRunAt:u}")]
    private partial void LogTickFailed(Exception exception, string reason, DateTimeOffset? nextRunAt);
}

/// <summary>Says in the log when a scheduled job failed, and when the schedule tries again.</summary>
public sealed partial class ScheduledJobFailures(AutomationState state, ILogger<ScheduleService> logger) : IJobEventHandler
{
    /// <inheritdoc />
    public void OnJobChanged(JobRecord job)
    {
        if (job is { Trigger: JobTrigger.Schedule, Status: JobStatus.Failed })
        {
            LogRunFailed(job.Id, job.Error ?? "unknown error", state.NextRunAt);
        }
    }

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Scheduled job #{JobId} failed: {Reason}. The schedule tries again at {NextRunAt:u}")]
    private partial void LogRunFailed(long jobId, string reason, DateTimeOffset? nextRunAt);
}
