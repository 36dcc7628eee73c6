using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StarSync.Jobs;

namespace StarSync.Automation;

/// <summary>
/// Debounces new-item webhooks: a library scan sends a burst of library.new events (per album or per track), and the
/// burst becomes one "rate these items" job with the distinct ratingKeys instead of hundreds of tiny jobs.
/// </summary>
/// <remarks>
/// Keys collect until none has arrived for WEBHOOK_DEBOUNCE_SECONDS, but never longer than <see cref="MaxWaitFactor"/>
/// windows after the first, so a scan that keeps trickling still gets rated. The timer callback only hands the batch
/// to <see cref="ExecuteAsync"/>, which does the async queueing (no fire-and-forget tasks).
/// </remarks>
public sealed partial class WebhookBatcher(
    JobQueue queue,
    IOptions<AutomationOptions> options,
    TimeProvider time,
    ILogger<WebhookBatcher> logger) : BackgroundService
{
    /// <summary>A batch is queued at the latest this many debounce windows after its first key.</summary>
    public const int MaxWaitFactor = 6;

    /// <summary>A batch this large is queued at once: bounds memory whatever an (authenticated) sender does.</summary>
    public const int MaxBatchKeys = 10_000;

    private readonly Lock _lock = new();
    private readonly List<string> _pending = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Channel<string[]> _batches = Channel.CreateUnbounded<string[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeSpan _window = options.Value.WebhookDebounce;
    private ITimer? _timer;
    private DateTimeOffset _firstAt;
    private DateTimeOffset _lastAt;

    /// <summary>Adds a new item's ratingKey to the current window; returns how many distinct items the window holds.</summary>
    public int Add(string ratingKey)
    {
        string[]? due = null;
        int count;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_seen.Add(ratingKey))
            {
                _pending.Add(ratingKey);
            }

            _lastAt = now;
            count = _pending.Count;
            if (_window <= TimeSpan.Zero || _pending.Count >= MaxBatchKeys)
            {
                due = TakeLocked();
            }
            else if (_timer is null)
            {
                _firstAt = now;
                _timer = time.CreateTimer(OnTimer, null, _window, Timeout.InfiniteTimeSpan);
            }
        }

        if (due is not null)
        {
            _batches.Writer.TryWrite(due);
        }

        return count;
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AllowUnauthenticatedWebhook)
        {
            LogUnprotected();
        }

        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        int dropped;
        lock (_lock)
        {
            dropped = TakeLocked().Length;
        }

        if (dropped > 0)
        {
            // Not an error: they are unrated tracks like any other, and the schedule reaches them.
            LogDroppedAtShutdown(dropped);
        }

        await base.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var keys in _batches.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    var job = await queue.EnqueueAsync(new JobRequest(JobTrigger.Webhook, JobMode.Items, ItemKeys: keys), stoppingToken);
                    LogQueued(keys.Length, job.Id);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The items stay unrated and the schedule reaches them; the batcher must keep serving later webhooks.
                    LogQueueFailed(ex, keys.Length, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private void OnTimer(object? _)
    {
        string[] batch;
        lock (_lock)
        {
            if (_timer is null)
            {
                return;
            }

            var now = time.GetUtcNow();
            var quietUntil = _lastAt + _window;
            var latest = _firstAt + (_window * MaxWaitFactor);
            var due = quietUntil < latest ? quietUntil : latest;
            if (now < due)
            {
                _timer.Change(due - now, Timeout.InfiniteTimeSpan);
                return;
            }

            batch = TakeLocked();
        }

        if (batch.Length > 0)
        {
            _batches.Writer.TryWrite(batch);
        }
    }

    private string[] TakeLocked()
    {
        var batch = _pending.ToArray();
        _pending.Clear();
        _seen.Clear();
        _timer?.Dispose();
        _timer = null;
        return batch;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Webhooks: {Count} new item(s) queued for rating in job #{JobId}")]
    private partial void LogQueued(int count, long jobId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Webhooks: {Count} new item(s) could not be queued ({Reason}); the schedule will reach them")]
    private partial void LogQueueFailed(Exception exception, int count, string reason);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Webhooks: {Count} new item(s) were still waiting at shutdown; the schedule will reach them")]
    private partial void LogDroppedAtShutdown(int count);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "ALLOW_UNAUTHENTICATED_WEBHOOK is on: POST /plex-webhook is accepted without the secret, so anyone who can reach StarSync can queue rating jobs. Use the webhook URL from the Settings page in Plex and turn this off")]
    private partial void LogUnprotected();
}
