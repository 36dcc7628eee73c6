using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StarSync.Jobs;

namespace StarSync.Automation;

/// <summary>Where StarSync heard about new music.</summary>
public enum NewMusicSource
{
    /// <summary>A Plex webhook (library.new).</summary>
    Webhook,

    /// <summary>Plex's notification websocket (a timeline entry that reached "processed").</summary>
    Notification,
}

/// <summary>A new item announced by Plex. <paramref name="ParentKey"/> is the album of a track, when the sender says.</summary>
public readonly record struct NewMusicItem(string RatingKey, string? ParentKey, bool IsTrack, NewMusicSource Source);

/// <summary>What <see cref="NewMusicBatcher.Add(NewMusicItem)"/> did: <see cref="AlreadyQueued"/> when a recent job already covers the item.</summary>
public readonly record struct NewMusicAdded(bool AlreadyQueued, int Waiting);

/// <summary>
/// Debounces new music from both sources, webhooks and the notification websocket: a library scan announces a burst
/// of items (per album or per track, once per source), and the burst becomes one "rate these items" job with the
/// distinct ratingKeys instead of hundreds of tiny jobs.
/// </summary>
/// <remarks>
/// Keys collect until none has arrived for WEBHOOK_DEBOUNCE_SECONDS, but never longer than <see cref="MaxWaitFactor"/>
/// windows after the first, so a scan that keeps trickling still gets rated. The timer callback only hands the batch
/// to <see cref="ExecuteAsync"/>, which does the async queueing (no fire-and-forget tasks).
/// An album announced by both sources gives one job: within a window the keys are distinct; an album whose tracks are
/// in the same batch is left out (its tracks are exactly the new ones); and keys queued recently, with the albums of
/// queued tracks, are remembered for <see cref="RecentWindow"/> so the slower source's announcement is dropped.
/// </remarks>
public sealed partial class NewMusicBatcher(
    JobQueue queue,
    IOptions<AutomationOptions> options,
    TimeProvider time,
    ILogger<NewMusicBatcher> logger) : BackgroundService
{
    /// <summary>A batch is queued at the latest this many debounce windows after its first key.</summary>
    public const int MaxWaitFactor = 6;

    /// <summary>A batch this large is queued at once: bounds memory whatever an (authenticated) sender does.</summary>
    public const int MaxBatchKeys = 10_000;

    /// <summary>Most keys remembered as recently queued; the oldest are forgotten first.</summary>
    public const int MaxRecentKeys = 50_000;

    private readonly Lock _lock = new();
    private readonly List<NewMusicItem> _pending = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _recent = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset Until)> _recentOrder = new();
    private readonly Channel<Batch> _batches = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TimeSpan _window = options.Value.WebhookDebounce;
    private ITimer? _timer;
    private DateTimeOffset _firstAt;
    private DateTimeOffset _lastAt;

    /// <summary>
    /// How long a queued key is remembered: long enough for webhook and websocket to both report an album (the
    /// websocket waits for Plex's metadata agent), and never shorter than the longest a batch can wait.
    /// </summary>
    public TimeSpan RecentWindow => _window * MaxWaitFactor * 2 > TimeSpan.FromMinutes(10) ? _window * MaxWaitFactor * 2 : TimeSpan.FromMinutes(10);

    /// <summary>Distinct items in the current window, not yet handed to the queue (0 once the window has flushed).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Adds a webhook's ratingKey (no parent known); returns how many distinct items the window holds.</summary>
    public int Add(string ratingKey) => Add(new NewMusicItem(ratingKey, null, IsTrack: false, NewMusicSource.Webhook)).Waiting;

    /// <summary>Adds a new item to the current window, unless a recent job already covers it.</summary>
    public NewMusicAdded Add(NewMusicItem item)
    {
        Batch? due = null;
        int count;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            PruneRecentLocked(now);
            if (_recent.ContainsKey(item.RatingKey) || (item.ParentKey is { } parent && _recent.ContainsKey(parent)))
            {
                return new NewMusicAdded(AlreadyQueued: true, _pending.Count);
            }

            if (_seen.Add(item.RatingKey))
            {
                _pending.Add(item);
            }

            _lastAt = now;
            count = _pending.Count;
            if (_window <= TimeSpan.Zero || _pending.Count >= MaxBatchKeys)
            {
                due = TakeLocked(now);
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

        return new NewMusicAdded(AlreadyQueued: false, count);
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
            dropped = TakeLocked(time.GetUtcNow())?.Keys.Length ?? 0;
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
            await foreach (var batch in _batches.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    var job = await queue.EnqueueAsync(new JobRequest(batch.Trigger, JobMode.Items, ItemKeys: batch.Keys), stoppingToken);
                    LogQueued(batch.Keys.Length, job.Id, batch.Trigger);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The items stay unrated and the schedule reaches them; the batcher must keep serving later items.
                    LogQueueFailed(ex, batch.Keys.Length, ex.Message);
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
        Batch? batch;
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

            batch = TakeLocked(now);
        }

        if (batch is not null)
        {
            _batches.Writer.TryWrite(batch);
        }
    }

    private Batch? TakeLocked(DateTimeOffset now)
    {
        _timer?.Dispose();
        _timer = null;
        if (_pending.Count == 0)
        {
            return null;
        }

        // An album whose tracks are announced too is left out: its tracks are exactly what is new.
        var albumsOfTracks = _pending.Where(i => i.IsTrack && i.ParentKey is not null).Select(i => i.ParentKey!).ToHashSet(StringComparer.Ordinal);
        var keys = _pending.Where(i => i.IsTrack || !albumsOfTracks.Contains(i.RatingKey)).Select(i => i.RatingKey).ToArray();
        var trigger = _pending[0].Source == NewMusicSource.Notification ? JobTrigger.Notification : JobTrigger.Webhook;
        var until = now + RecentWindow;
        foreach (var key in _pending.Select(i => i.RatingKey).Concat(albumsOfTracks))
        {
            if (_recent.TryAdd(key, until))
            {
                _recentOrder.Enqueue((key, until));
            }
        }

        while (_recentOrder.Count > MaxRecentKeys && _recentOrder.TryDequeue(out var oldest))
        {
            _recent.Remove(oldest.Key);
        }

        _pending.Clear();
        _seen.Clear();
        return new Batch(keys, trigger);
    }

    private void PruneRecentLocked(DateTimeOffset now)
    {
        while (_recentOrder.TryPeek(out var oldest) && oldest.Until <= now)
        {
            _recentOrder.Dequeue();
            _recent.Remove(oldest.Key);
        }
    }

    private sealed record Batch(string[] Keys, JobTrigger Trigger);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "New music: {Count} new item(s) queued for rating in job #{JobId} (from {Trigger})")]
    private partial void LogQueued(int count, long jobId, JobTrigger trigger);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "New music: {Count} new item(s) could not be queued ({Reason}); the schedule will reach them")]
    private partial void LogQueueFailed(Exception exception, int count, string reason);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "New music: {Count} new item(s) were still waiting at shutdown; the schedule will reach them")]
    private partial void LogDroppedAtShutdown(int count);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "ALLOW_UNAUTHENTICATED_WEBHOOK is on: POST /plex-webhook is accepted without the secret, so anyone who can reach StarSync can queue rating jobs. Use the webhook URL from the Settings page in Plex and turn this off")]
    private partial void LogUnprotected();
}
