using System.Threading.Channels;

namespace StarSync.LiveLog;

/// <summary>
/// The live log's ring buffer (last <see cref="Capacity"/> lines) and the broadcaster behind the SSE stream.
/// Each subscriber owns a bounded channel that drops its oldest items, so a stalled browser can never
/// hold memory or slow down logging (the shape of Aspire's TelemetryRepository watchers).
/// </summary>
public sealed class LiveFeed : IEventBus
{
    /// <summary>How many log lines are kept for replay.</summary>
    public const int Capacity = 500;

    // Generous enough for a burst of progress events between two flushes to a slow client.
    private const int SubscriberCapacity = 1024;

    private readonly Lock _lock = new();
    private readonly LiveLogEntry?[] _ring = new LiveLogEntry?[Capacity];
    private readonly List<Channel<LiveMessage>> _subscribers = [];
    private readonly TimeProvider _timeProvider;
    private int _next;   // ring slot the next entry goes into
    private int _count;
    private long _lastId;

    public LiveFeed(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        // Ids start from the start time (ms x 1000) rather than 0, so they keep increasing across restarts:
        // a browser that reconnects with the Last-Event-ID of a previous run gets this run's whole buffer
        // instead of nothing. Stays below 2^53, so JavaScript reads the ids exactly.
        _lastId = timeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    /// <summary>Appends a log line (already rendered and redacted) and sends it to every subscriber.</summary>
    public LiveLogEntry Append(string level, string category, string message, string? exception)
    {
        lock (_lock)
        {
            // Id assignment, buffering and fan-out happen under one lock so every subscriber sees ids in order.
            var entry = new LiveLogEntry(++_lastId, _timeProvider.GetUtcNow(), level, category, message, exception);
            _ring[_next] = entry;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
            var item = new LiveMessage(LiveEventTypes.Log, entry.Id, entry);
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(item);
            }

            return entry;
        }
    }

    /// <inheritdoc />
    public void Publish(string eventType, object payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventType);
        ArgumentNullException.ThrowIfNull(payload);
        if (eventType == LiveEventTypes.Log)
        {
            throw new ArgumentException("Log lines go through ILogger, not the event bus.", nameof(eventType));
        }

        var message = new LiveMessage(eventType, null, payload);
        lock (_lock)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(message);
            }
        }
    }

    /// <summary>The buffered log lines newer than <paramref name="afterId"/> (all of them when null), oldest first.</summary>
    public IReadOnlyList<LiveLogEntry> Snapshot(long? afterId = null)
    {
        lock (_lock)
        {
            var result = new List<LiveLogEntry>(_count);
            var start = (_next - _count + Capacity) % Capacity;
            for (var i = 0; i < _count; i++)
            {
                var entry = _ring[(start + i) % Capacity]!;
                if (afterId is null || entry.Id > afterId)
                {
                    result.Add(entry);
                }
            }

            return result;
        }
    }

    /// <summary>
    /// Replays the buffered log lines newer than <paramref name="afterId"/>, then yields live log lines and events
    /// until <paramref name="cancellationToken"/> fires. An <paramref name="afterId"/> ahead of anything this
    /// process logged comes from an older run (or a bogus header) and replays everything.
    /// </summary>
    public async IAsyncEnumerable<LiveMessage> WatchAsync(long? afterId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<LiveMessage>(new BoundedChannelOptions(SubscriberCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });

        // Subscribe *before* taking the snapshot: a line logged in between is then in both, and the id check
        // below drops the duplicate. Snapshot first would lose it instead.
        long newestId;
        lock (_lock)
        {
            _subscribers.Add(channel);
            newestId = _lastId;
        }

        try
        {
            if (afterId > newestId)
            {
                afterId = null;
            }

            var lastSent = afterId ?? long.MinValue;
            foreach (var entry in Snapshot(afterId))
            {
                lastSent = entry.Id;
                yield return new LiveMessage(LiveEventTypes.Log, entry.Id, entry);
            }

            while (true)
            {
                LiveMessage message;
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(cancellationToken))
                    {
                        yield break;
                    }

                    if (!channel.Reader.TryRead(out message!))
                    {
                        continue;
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The client went away: the normal end of a stream.
                    yield break;
                }

                if (message.Id is { } id)
                {
                    if (id <= lastSent)
                    {
                        continue; // already replayed from the snapshot
                    }

                    lastSent = id;
                }

                yield return message;
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    /// <summary>Number of open subscriptions (open browser tabs); for tests and diagnostics.</summary>
    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }
}

/// <summary>One item on the live stream: a log line (with its id) or a published event (without).</summary>
public sealed record LiveMessage(string EventType, long? Id, object Payload);
