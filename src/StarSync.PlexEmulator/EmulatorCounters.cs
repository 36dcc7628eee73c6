using System.Collections.Concurrent;

namespace StarSync.PlexEmulator;

/// <summary>What the emulator has been asked, for tests and benchmarks to assert on.</summary>
public sealed class EmulatorCounters
{
    private readonly ConcurrentDictionary<string, long> _byRoute = new(StringComparer.Ordinal);
    private long _requests;
    private long _ratingWrites;
    private long _serverErrors;
    private long _droppedConnections;
    private long _slowResponses;
    private long _urlTooLong;
    private long _writeRequests;
    private long _bulkEdits;
    private long _bulkEditRequests;
    private long _writerBusyTicks;
    private long _modelledWaits;
    private long _modelledLateTicks;
    private int _current;
    private int _peak;
    private int _currentWrites;
    private int _peakWrites;

    /// <summary>Every request received, faults and 401s included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Ratings written through the API (/:/rate, and each item of a bulk edit).</summary>
    public long RatingWrites => Interlocked.Read(ref _ratingWrites);

    /// <summary>Write requests that reached the database writer (/:/rate and bulk edits, ignored ones excluded).</summary>
    public long WriteRequests => Interlocked.Read(ref _writeRequests);

    /// <summary>Bulk edits answered 200 (ignored ones included).</summary>
    public long BulkEdits => Interlocked.Read(ref _bulkEdits);

    /// <summary>Every bulk-edit PUT that reached the endpoint (refused, capped and ignored ones included).</summary>
    public long BulkEditRequests => Interlocked.Read(ref _bulkEditRequests);

    /// <summary>Requests refused for a URL longer than <see cref="EmulatorOptions.MaxUrlLength"/>.</summary>
    public long UrlsTooLong => Interlocked.Read(ref _urlTooLong);

    public int PeakConcurrentRequests => Volatile.Read(ref _peak);

    /// <summary>The most rating writes (<c>/:/rate</c> and bulk edits) in progress at once: what a client's write concurrency looks like from the server.</summary>
    public int PeakConcurrentWrites => Volatile.Read(ref _peakWrites);

    /// <summary>
    /// Time the database writer spent writing: the sum of every write request's modelled cost (PerRatingWrite + items x
    /// PerRatedItem). With <see cref="LatencyOptions.SerializeWrites"/> this is the single writer's busy time, so
    /// wall time minus this is how long a client left it idle.
    /// </summary>
    public TimeSpan WriterBusy => TimeSpan.FromTicks(Interlocked.Read(ref _writerBusyTicks));

    public int CurrentRequests => Volatile.Read(ref _current);

    /// <summary>The modelled waits served (each request's latency, each write's cost; injected slow answers excluded).</summary>
    public long ModelledWaits => Interlocked.Read(ref _modelledWaits);

    /// <summary>
    /// How much later than modelled those waits went on, on average: the emulator's timer and its thread pool under
    /// load (zero on a test's fake clock). A client can not beat it, so it says how far the served latency is from
    /// the model the benchmark's limits assume.
    /// </summary>
    public TimeSpan MeanModelledLateness => TimeSpan.FromTicks(Interlocked.Read(ref _modelledLateTicks) / Math.Max(1, ModelledWaits));

    /// <summary>Injected 500s.</summary>
    public long ServerErrorsInjected => Interlocked.Read(ref _serverErrors);

    /// <summary>Injected connection aborts.</summary>
    public long ConnectionsDropped => Interlocked.Read(ref _droppedConnections);

    /// <summary>Injected slow responses.</summary>
    public long SlowResponsesInjected => Interlocked.Read(ref _slowResponses);

    /// <summary>Requests per route template, e.g. "/library/sections/{id}/all", "/:/rate".</summary>
    public IReadOnlyDictionary<string, long> RequestsByRoute => new Dictionary<string, long>(_byRoute, StringComparer.Ordinal);

    public long RequestsFor(string routeTemplate) => _byRoute.TryGetValue(routeTemplate, out var n) ? n : 0;

    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _ratingWrites, 0);
        Interlocked.Exchange(ref _serverErrors, 0);
        Interlocked.Exchange(ref _droppedConnections, 0);
        Interlocked.Exchange(ref _slowResponses, 0);
        Interlocked.Exchange(ref _urlTooLong, 0);
        Interlocked.Exchange(ref _writeRequests, 0);
        Interlocked.Exchange(ref _bulkEdits, 0);
        Interlocked.Exchange(ref _bulkEditRequests, 0);
        Interlocked.Exchange(ref _writerBusyTicks, 0);
        Interlocked.Exchange(ref _modelledWaits, 0);
        Interlocked.Exchange(ref _modelledLateTicks, 0);
        // Requests in flight stay counted, so the peak restarts from what is running now.
        Volatile.Write(ref _peak, Volatile.Read(ref _current));
        Volatile.Write(ref _peakWrites, Volatile.Read(ref _currentWrites));
        _byRoute.Clear();
    }

    internal void RequestStarted(string route)
    {
        Interlocked.Increment(ref _requests);
        _byRoute.AddOrUpdate(route, 1, static (_, n) => n + 1);
        RaisePeak(ref _peak, Interlocked.Increment(ref _current));
    }

    internal void RequestEnded() => Interlocked.Decrement(ref _current);

    internal void WriteStarted() => RaisePeak(ref _peakWrites, Interlocked.Increment(ref _currentWrites));

    internal void WriteEnded() => Interlocked.Decrement(ref _currentWrites);

    private static void RaisePeak(ref int peak, int now)
    {
        var seen = Volatile.Read(ref peak);
        while (now > seen)
        {
            var was = Interlocked.CompareExchange(ref peak, now, seen);
            if (was == seen)
            {
                break;
            }

            seen = was;
        }
    }

    internal void RatingWritten() => Interlocked.Increment(ref _ratingWrites);

    internal void RatingsWritten(int count) => Interlocked.Add(ref _ratingWrites, count);

    internal void WriteRequest() => Interlocked.Increment(ref _writeRequests);

    internal void WriterWorked(TimeSpan cost) => Interlocked.Add(ref _writerBusyTicks, cost.Ticks);

    internal void ModelledWaitServed(TimeSpan late)
    {
        Interlocked.Increment(ref _modelledWaits);
        Interlocked.Add(ref _modelledLateTicks, Math.Max(0, late.Ticks));
    }

    internal void BulkEdit() => Interlocked.Increment(ref _bulkEdits);

    internal void BulkEditRequest() => Interlocked.Increment(ref _bulkEditRequests);

    internal void UrlTooLongAnswered() => Interlocked.Increment(ref _urlTooLong);

    internal void ServerErrorInjected() => Interlocked.Increment(ref _serverErrors);

    internal void ConnectionDropped() => Interlocked.Increment(ref _droppedConnections);

    internal void SlowResponseInjected() => Interlocked.Increment(ref _slowResponses);
}
