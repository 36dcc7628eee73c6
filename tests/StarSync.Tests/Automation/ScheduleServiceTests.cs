using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StarSync.Automation;
using StarSync.Jobs;

namespace StarSync.Tests.Automation;

/// <summary>
/// The schedule against the real queue, journal and an emulated Plex; its clock is a FakeTimeProvider, and jobs are
/// run by the test (the host's runner is not started), so every step is deterministic.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ScheduleServiceTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(s_start);
    private readonly AutomationState _state = new();
    private readonly FakeLogger<ScheduleService> _log = new();
    private TestHost _engine = null!;
    private ScheduleService _schedule = null!;

    public async Task InitializeAsync()
    {
        _engine = await TestHost.Create().Emulator().Config(new Dictionary<string, string?>
        {
            ["BATCH_INTERVAL_MINUTES"] = "15",
            ["BATCH_SIZE"] = "20",
        }).Services(b => b.Services.AddSingleton<IJobEventHandler>(new ScheduledJobFailures(_state, _log))).EngineOnly().StartAsync();
        _schedule = new ScheduleService(_engine.Queue, _engine.Settings, _state, _clock, _log);
        await _schedule.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _schedule.StopAsync(CancellationToken.None);
        _schedule.Dispose();
        await _engine.DisposeAsync();
    }

    [Fact]
    public async Task Schedule_runs_an_unrated_batch_of_batch_size_every_interval()
    {
        var unratedBefore = Unrated();
        Assert.Equal(s_start.AddMinutes(15), _state.NextRunAt);

        // FakeTimeProvider fires due timers inside Advance: a tick moves NextRunAt before Advance returns.
        _clock.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromTicks(1));
        Assert.Equal(s_start.AddMinutes(15), _state.NextRunAt); // one tick before the interval: no run
        Assert.Empty(Ticks());
        Assert.False(_engine.Queue.IsBusy);

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(s_start.AddMinutes(30), _state.NextRunAt); // exactly at it: the run, and the next one planned
        var first = await NextQueuedAsync();
        Assert.Equal(new JobRequest(JobTrigger.Schedule, JobMode.UnratedBatch, Count: 20), first.Request);
        await Eventually.TrueAsync(() => Ticks().Count > 0, "the scheduled run's log line");
        Assert.Single(Ticks());
        var done = await RunQueuedAsync();
        Assert.Single(Ticks()); // one run at the interval, not one per timer callback
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(20, done.Counts.Rated);

        _clock.Advance(TimeSpan.FromMinutes(15));
        var second = await NextQueuedAsync();
        Assert.Equal(JobTrigger.Schedule, second.Trigger);
        Assert.Equal(20, (await RunQueuedAsync()).Counts.Rated);
        Assert.Equal(unratedBefore - 40, Unrated());
        await Eventually.TrueAsync(() => Ticks().Count >= 2, "the second run's log line");
        Assert.Equal(2, Ticks().Count);
        Assert.Equal(s_start.AddMinutes(45), _state.NextRunAt);
    }

    [Fact]
    public async Task Interval_change_applies_at_once_and_zero_turns_the_schedule_off()
    {
        _clock.Advance(TimeSpan.FromMinutes(5));

        // Another setting changes: the next run does not move, the new batch size is used.
        await _engine.Settings.UpdateAsync(s => s with { BatchSize = 7 }, CancellationToken.None);
        Assert.Equal(s_start.AddMinutes(15), _state.NextRunAt);

        await _engine.Settings.UpdateAsync(s => s with { BatchIntervalMinutes = 2 }, CancellationToken.None);
        Assert.Equal(s_start.AddMinutes(7), _state.NextRunAt);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(7, (await NextQueuedAsync()).Request.Count);
        await RunQueuedAsync();

        await _engine.Settings.UpdateAsync(s => s with { BatchIntervalMinutes = 0 }, CancellationToken.None);
        Assert.Null(_state.NextRunAt);
        _clock.Advance(TimeSpan.FromDays(3));

        // Barrier: a tick the "off" schedule wrongly made would be handled before this one (ticks are handled in order).
        await _engine.Settings.UpdateAsync(s => s with { BatchIntervalMinutes = 1 }, CancellationToken.None);
        Assert.Equal(_clock.GetUtcNow().AddMinutes(1), _state.NextRunAt);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await NextQueuedAsync();
        var jobs = await _engine.Journal.GetJobsAsync(50, CancellationToken.None);
        Assert.Equal(2, jobs.Count(j => j.Trigger == JobTrigger.Schedule));
    }

    [Fact]
    public async Task Long_intervals_beyond_the_timer_limit_still_fire_on_time()
    {
        // 100 days: more than a system timer can be armed for (~49.7 days).
        await _engine.Settings.UpdateAsync(s => s with { BatchIntervalMinutes = 144_000 }, CancellationToken.None);

        _clock.Advance(TimeSpan.FromDays(100) - TimeSpan.FromMinutes(1));
        Assert.False(_engine.Queue.IsBusy);
        _clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(JobTrigger.Schedule, (await NextQueuedAsync()).Trigger);
    }

    [Fact]
    public async Task Tick_is_skipped_with_a_log_line_while_another_job_runs_or_waits()
    {
        var manual = await _engine.Queue.EnqueueAsync(new JobRequest(JobTrigger.Manual, JobMode.All, DryRun: true), CancellationToken.None);

        _clock.Advance(TimeSpan.FromMinutes(15));

        await Eventually.TrueAsync(() => _log.Collector.GetSnapshot().Any(r => r.Id.Id == 5004), "the skip log line");
        Assert.Equal([manual.Id], _engine.Queue.Snapshot().Queued.Select(j => j.Id));
        Assert.Equal(s_start.AddMinutes(30), _state.NextRunAt);

        await RunQueuedAsync();
        _clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(JobTrigger.Schedule, (await NextQueuedAsync()).Trigger);
    }

    [Fact]
    public async Task A_run_that_fails_while_Plex_is_down_is_logged_and_the_next_tick_recovers()
    {
        var unratedBefore = Unrated();
        _engine.Plex.Options.Faults.RevokeToken = true;

        _clock.Advance(TimeSpan.FromMinutes(15));
        await NextQueuedAsync();
        var failed = await RunQueuedAsync();

        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains(_log.Collector.GetSnapshot(), r => r.Id.Id == 5006 && r.Message.Contains($"#{failed.Id}", StringComparison.Ordinal));
        Assert.Equal(s_start.AddMinutes(30), _state.NextRunAt);

        _engine.Plex.Options.Faults.RevokeToken = false;
        _clock.Advance(TimeSpan.FromMinutes(15));
        await NextQueuedAsync();
        var recovered = await RunQueuedAsync();

        Assert.Equal(JobStatus.Succeeded, recovered.Status);
        Assert.Equal(unratedBefore - 20, Unrated());
    }

    [Fact]
    public async Task Stopping_the_schedule_clears_the_next_run_time()
    {
        await _schedule.StopAsync(CancellationToken.None);

        Assert.Null(_state.NextRunAt);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.False(_engine.Queue.IsBusy);
    }

    /// <summary>The schedule's "queued job #N" lines (EventId 5003): one per run.</summary>
    private List<FakeLogRecord> Ticks() => _log.Collector.GetSnapshot().Where(r => r.Id.Id == 5003).ToList();

    private int Unrated() => _engine.Ratings().Count(kv => kv.Value is null);

    private async Task<JobRecord> NextQueuedAsync()
    {
        await Eventually.TrueAsync(() => _engine.Queue.Snapshot().Queued.Count > 0, "a queued job");
        return _engine.Queue.Snapshot().Queued[0];
    }

    private Task<JobRecord> RunQueuedAsync() =>
        _engine.Executor.RunNextAsync(CancellationToken.None);
}
