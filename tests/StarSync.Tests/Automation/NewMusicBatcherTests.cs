using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StarSync.Automation;
using StarSync.Jobs;

namespace StarSync.Tests.Automation;

/// <summary>The debounce window on a FakeTimeProvider, queueing into the real job queue (whose runner is not started).</summary>
[Trait("Category", "Integration")]
public sealed class NewMusicBatcherTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private TestHost _engine = null!;

    public async Task InitializeAsync() => _engine = await TestHost.Create().Emulator().EngineOnly().StartAsync();

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Burst_within_the_window_becomes_one_job_with_the_distinct_keys_once_it_goes_quiet()
    {
        using var batcher = await StartAsync(TimeSpan.FromSeconds(10));

        batcher.Add("101");
        _clock.Advance(TimeSpan.FromSeconds(9));
        batcher.Add("102");
        batcher.Add("101");
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(3, batcher.Add("103"));
        // FakeTimeProvider runs due timers inside Advance, so the window's state is settled when Advance returns.
        _clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(3, batcher.Waiting); // one tick before the quiet window ends: still collecting
        Assert.False(_engine.Queue.IsBusy);

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(0, batcher.Waiting); // exactly at the end of the window: handed to the queue

        var job = await QueuedAsync();
        Assert.Equal((JobTrigger.Webhook, JobMode.Items), (job.Trigger, job.Mode));
        Assert.Equal(["101", "102", "103"], job.Request.ItemKeys);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_scan_that_never_goes_quiet_is_still_queued_after_the_maximum_wait()
    {
        using var batcher = await StartAsync(TimeSpan.FromSeconds(10));

        for (var i = 0; i < NewMusicBatcher.MaxWaitFactor * 2; i++)
        {
            batcher.Add((200 + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
            _clock.Advance(TimeSpan.FromSeconds(5));
        }

        var job = await QueuedAsync();
        Assert.Equal(NewMusicBatcher.MaxWaitFactor * 2, job.Request.ItemKeys!.Count);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Keys_after_a_flush_start_a_new_window_and_merge_into_the_still_queued_job()
    {
        using var batcher = await StartAsync(TimeSpan.FromSeconds(10));
        batcher.Add("301");
        _clock.Advance(TimeSpan.FromSeconds(10));
        await QueuedAsync();

        Assert.Equal(1, batcher.Add("302"));
        _clock.Advance(TimeSpan.FromSeconds(10));

        await Eventually.TrueAsync(() => _engine.Queue.Snapshot().Queued is [{ Request.ItemKeys: ["301", "302"] }], "the second batch merged into the queued job");
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Zero_window_queues_each_item_at_once()
    {
        using var batcher = await StartAsync(TimeSpan.Zero);

        batcher.Add("401");

        Assert.Equal(["401"], (await QueuedAsync()).Request.ItemKeys);
        await batcher.StopAsync(CancellationToken.None);
    }

    private async Task<NewMusicBatcher> StartAsync(TimeSpan window)
    {
        var batcher = new NewMusicBatcher(_engine.Queue, Options.Create(new AutomationOptions { WebhookDebounce = window }), _clock,
            NullLogger<NewMusicBatcher>.Instance);
        await batcher.StartAsync(CancellationToken.None);
        return batcher;
    }

    private async Task<JobRecord> QueuedAsync()
    {
        await Eventually.TrueAsync(() => _engine.Queue.Snapshot().Queued.Count > 0, "a queued job");
        return Assert.Single(_engine.Queue.Snapshot().Queued);
    }
}
