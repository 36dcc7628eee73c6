namespace StarSync.Rating;

/// <summary>How a write that held a <see cref="WriteLimiter"/> slot ended; decides what the limiter learns from it.</summary>
public enum WriteSignal
{
    /// <summary>Plex answered: the latency is a sample.</summary>
    Answered,

    /// <summary>5xx, 408/429, a timeout or a dropped connection: Plex is struggling, the limit drops at once.</summary>
    Overloaded,

    /// <summary>Says nothing about load (a 4xx refusal, a cancelled call, a URL too long): the slot is just given back.</summary>
    Ignored,
}

/// <summary>
/// Bounds the rating writes in flight. Fixed (<c>WRITE_CONCURRENCY=N</c>) or adaptive (<c>WRITE_CONCURRENCY=auto</c>): an
/// AIMD limiter in the manner of Netflix's concurrency-limits. It starts at <see cref="InitialLimit"/> and looks at the
/// writes in windows of <c>max(<see cref="MinWindow"/>, limit)</c> answers: while the window's median latency stays
/// near the lowest median seen (≤ <see cref="NearFloor"/> × floor, the floor taken as at least <see cref="NoiseFloorMs"/>)
/// and the window kept the slots busy, the limit grows:
/// at first it doubles (slow start, as TCP's) while the median stays within <see cref="SlowStartNearFloor"/> × floor, so a
/// server that writes in parallel gets its 32 writes in flight after four windows, not thirty; from the second window in
/// a row whose median rises above that (the first only holds the limit), or the first 5xx or timeout, it grows by one (a
/// cut for latency only suspends it, below); when the median climbs well above it (≥ <see cref="WellAboveFloor"/> × floor) the limit is multiplied by
/// <see cref="LatencyBackoff"/>, and a 5xx or timeout multiplies it by <see cref="ErrorBackoff"/> at once. After a cut for
/// latency, windows back near the floor double the limit again, up to where it was before the cut (as TCP's slow start
/// does up to its threshold), then it grows by one, or goes on doubling when the cut came in slow start and those
/// windows were flat (≤ <see cref="SlowStartNearFloor"/> × floor): a spike of a window or two (a burst of writes at a
/// page's start, the client's own CPU busy) costs a window or two at 32, not the twenty windows of growing by one. One
/// window off the floor (neither near nor well above) after the cut is waited out; a second gives the way back up: a
/// server that keeps queueing keeps its median away from the floor and never gets the doubling. On a server
/// with one database writer (Plex's SQLite) every extra write in flight only waits its turn, so latency grows with the
/// limit and the limit settles low; on a server that writes in parallel latency stays flat and the limit climbs to
/// <see cref="MaxLimit"/>. Answers to writes sent under an older limit are not judged (they waited in the old queue).
/// </summary>
public sealed class WriteLimiter
{
    /// <summary>Where the adaptive limit starts.</summary>
    public const int InitialLimit = 2;

    /// <summary>Lowest adaptive limit: one write at a time.</summary>
    public const int MinLimit = 1;

    /// <summary>Highest limit, adaptive or fixed (WRITE_CONCURRENCY's range).</summary>
    public const int MaxLimit = 32;

    /// <summary>Fewest answers a window judges; larger limits judge <c>limit</c> answers, one round of the slots.</summary>
    public const int MinWindow = 4;

    /// <summary>A window median up to this multiple of the floor is "near the floor": room to grow.</summary>
    public const double NearFloor = 1.5;

    /// <summary>Slow start doubles only while the window median stays within this multiple of the floor (flat latency).</summary>
    public const double SlowStartNearFloor = 1.2;

    /// <summary>A window median from this multiple of the floor up is "well above": writes are queueing at Plex.</summary>
    public const double WellAboveFloor = 2.0;

    /// <summary>
    /// The lowest floor the latency ratios are taken against, in milliseconds. Below it a window's median says more
    /// about the client's own scheduling than about Plex: on a loaded machine a write answered in 0.3 ms comes back in
    /// 1–2 ms now and then, "well above" a 0.3 ms floor, and cut a test server's limit to 1. Plex's own writes take
    /// milliseconds, so this changes nothing there.
    /// </summary>
    public const double NoiseFloorMs = 1.0;

    /// <summary>Multiplicative decrease on latency.</summary>
    public const double LatencyBackoff = 0.75;

    /// <summary>Multiplicative decrease on a 5xx or a timeout.</summary>
    public const double ErrorBackoff = 0.5;

    private readonly Lock _lock = new();
    private readonly PriorityQueue<TaskCompletionSource, (long Turn, long Arrival)> _waiters = new();
    private long _arrivals;
    private readonly TimeProvider _time;
    private readonly List<double> _window = new(MaxLimit);
    private readonly Action<int>? _changed;
    private int _limit;
    private int _inFlight;
    private int _peakInFlight;
    private int _epoch;
    private double _floorMs = double.PositiveInfinity;
    private bool _slowStart = true;

    // The limit before the last cut for latency; windows near the floor double back up to it (0 = nothing to recover).
    private int _recoverTo;

    // Whether the last judged window was off the floor (or off slow start's flat latency) and only held the limit: a
    // second in a row ends slow start and gives up the way back to _recoverTo (HoldOnce).
    private bool _held;

    private WriteLimiter(TimeProvider time, bool adaptive, int limit, Action<int>? changed)
    {
        _time = time;
        Adaptive = adaptive;
        _limit = limit;
        _changed = changed;
    }

    /// <summary>A limiter that adapts, starting at <see cref="InitialLimit"/>; <paramref name="changed"/> hears every new limit.</summary>
    public static WriteLimiter CreateAdaptive(TimeProvider time, Action<int>? changed = null) => new(time, true, InitialLimit, changed);

    /// <summary>A limiter pinned at <paramref name="limit"/> (1..32).</summary>
    public static WriteLimiter CreateFixed(TimeProvider time, int limit) => new(time, false, Math.Clamp(limit, 1, MaxLimit), null);

    /// <summary>True for WRITE_CONCURRENCY=auto.</summary>
    public bool Adaptive { get; }

    /// <summary>Writes allowed in flight now.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return _limit;
            }
        }
    }

    /// <summary>Writes in flight now.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>The lowest window median seen, in milliseconds (infinity before the first judged window).</summary>
    public double FloorMilliseconds
    {
        get
        {
            lock (_lock)
            {
                return _floorMs;
            }
        }
    }

    /// <summary>Waits for a free slot (first come, first served). Dispose the lease, or call <see cref="Lease.Complete"/>, to give it back.</summary>
    public ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken) => AcquireAsync(0, cancellationToken);

    /// <summary>
    /// Waits for a free slot; a freed slot goes to the waiter of the lowest <paramref name="turn"/>, first come first
    /// served within a turn. The rating job writes a few pages at once, each its own turn in listing order: the oldest
    /// page gets the slots it can use and finishes first, so the next page is listed, decided and queued while the
    /// later ones still keep every slot busy. Shared first come first served, the pages finished together and the slots
    /// drained at every few pages (docs/benchmarks.md, "2026-12-01, second session"). Dispose the lease, or call
    /// <see cref="Lease.Complete"/>, to give it back.
    /// </summary>
    public async ValueTask<Lease> AcquireAsync(long turn, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_inFlight < _limit && _waiters.Count == 0)
            {
                return Grant();
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter, (turn, _arrivals++));
        }

        using (cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter))
        {
            await waiter.Task.ConfigureAwait(false);
        }

        lock (_lock)
        {
            // The releaser counted this slot in flight when it woke us.
            return new Lease(this, _time.GetTimestamp(), _epoch);
        }
    }

    private Lease Grant()
    {
        _inFlight++;
        _peakInFlight = Math.Max(_peakInFlight, _inFlight);
        return new Lease(this, _time.GetTimestamp(), _epoch);
    }

    // Learns from the ended write, then gives the slot back, or (with keepFor, the holder's turn) keeps it for the
    // holder's next write when the limit still has room for it and no waiter of an earlier turn wants it: the next
    // write then goes out at once, without handing the slot to a waiting task (a thread-pool hop per write, during
    // which the slot sits idle).
    private Lease? Release(long started, int epoch, WriteSignal signal, long? keepFor = null)
    {
        int? changed;
        Lease? kept = null;
        lock (_lock)
        {
            changed = Learn(started, epoch, signal);
            if (keepFor is { } turn && _inFlight <= _limit && !(_waiters.TryPeek(out _, out var first) && first.Turn < turn))
            {
                kept = new Lease(this, _time.GetTimestamp(), _epoch);
            }
            else
            {
                _inFlight--;
            }

            WakeWaiters();
        }

        if (changed is { } limit)
        {
            _changed?.Invoke(limit);
        }

        return kept;
    }

    // Called under the lock: what an ended write teaches the adaptive limit. Returns the new limit when it changed.
    private int? Learn(long started, int epoch, WriteSignal signal)
    {
        if (!Adaptive || epoch != _epoch || signal == WriteSignal.Ignored)
        {
            return null;
        }

        if (signal == WriteSignal.Overloaded)
        {
            // A 5xx or timeout ends slow start, and is not a spike to recover from at once.
            _slowStart = false;
            _recoverTo = 0;
            return Decrease(ErrorBackoff);
        }

        return Sample(_time.GetElapsedTime(started).TotalMilliseconds);
    }

    // Called under the lock. Returns the new limit when it changed.
    private int? Sample(double latencyMs)
    {
        _window.Add(latencyMs);
        if (_window.Count < Math.Max(MinWindow, _limit))
        {
            return null;
        }

        _window.Sort();
        var median = _window[_window.Count / 2];
        // Grow only when the window used its slots: a page's tail with two writes left says nothing about room.
        var busy = _peakInFlight * 2 > _limit;
        _window.Clear();
        _peakInFlight = _inFlight;
        // One write at a time queues behind nothing of ours: its latency IS the floor. So at the lowest limit the floor
        // is learnt again, and a server that became slower for good (a scan, a busy disk) does not pin the limit at 1.
        _floorMs = _limit == MinLimit ? median : Math.Min(median, _floorMs);
        var floor = Math.Max(_floorMs, NoiseFloorMs);
        if (median >= floor * WellAboveFloor)
        {
            var before = _limit;
            var cut = Decrease(LatencyBackoff);
            _recoverTo = cut is null ? 0 : before;
            // A cut for latency suspends slow start rather than ending it: the windows that double back decide.
            _slowStart &= cut is not null;
            return cut;
        }

        if (median <= floor * NearFloor)
        {
            if (!busy || _limit >= MaxLimit)
            {
                return null;
            }

            // Back near the floor after a cut for latency: the spike passed; double back to where the limit was. A
            // spike in slow start (the client's own CPU busy listing its first pages) does not end it: it goes on from
            // there while latency stays flat, as it would have without the spike. A queue does not look flat.
            if (_recoverTo > _limit)
            {
                _slowStart &= median <= floor * SlowStartNearFloor;
                _held = false;
                return SetLimit(Math.Min(_recoverTo, _limit * 2));
            }

            _recoverTo = 0;

            // Slow start doubles while latency stays flat; a rise, however small, in two windows in a row ends it (a
            // single writer's queue shows as 1.3-1.5x at twice the slots and stays; doubling on from there overshot to
            // 16 in the bench). One such window only holds the limit: a parallel server's first windows see the
            // client's own CPU busy listing its first pages, and ending slow start there cost 200 ms of climbing by one.
            if (_slowStart && median <= floor * SlowStartNearFloor)
            {
                _held = false;
                return SetLimit(Math.Min(MaxLimit, _limit * 2));
            }

            if (HoldOnce(_slowStart))
            {
                return null;
            }

            _slowStart = false;
            return SetLimit(_limit + 1);
        }

        // Neither near the floor nor well above: writes begin to queue at Plex. Hold, and grow by one from now on. Right
        // after a cut for latency one such window is allowed: a stall of the client's own CPU (a page listed and
        // journaled at once) spans a window or two of answers; a queue at Plex stays off the floor for good.
        // The same holds in slow start: one window off the floor is waited out, two in a row end it.
        if (HoldOnce(_recoverTo > _limit || _slowStart))
        {
            return null;
        }

        _slowStart = false;
        _recoverTo = 0;
        return null;
    }

    // In slow start or on the way back after a cut, the first window off the floor (or off slow start's flat latency)
    // holds the limit; the second in a row gives them up.
    private bool HoldOnce(bool waiting)
    {
        if (!waiting || _held)
        {
            return false;
        }

        _held = true;
        return true;
    }

    /// <summary>True while the adaptive limit still doubles per window (until latency first leaves its floor).</summary>
    public bool SlowStart
    {
        get
        {
            lock (_lock)
            {
                return _slowStart;
            }
        }
    }

    private int? Decrease(double factor)
    {
        _held = false;
        return SetLimit(Math.Max(MinLimit, Math.Min(_limit - 1, (int)Math.Floor(_limit * factor))));
    }

    private int? SetLimit(int limit)
    {
        if (limit == _limit)
        {
            return null;
        }

        _limit = limit;
        // Writes already in flight waited in the old queue: their latency says nothing about the new limit.
        _epoch++;
        _window.Clear();
        _peakInFlight = _inFlight;
        return limit;
    }

    private void WakeWaiters()
    {
        while (_inFlight < _limit && _waiters.TryDequeue(out var waiter, out _))
        {
            if (waiter.TrySetResult())
            {
                _inFlight++;
                _peakInFlight = Math.Max(_peakInFlight, _inFlight);
            }
        }
    }

    /// <summary>One slot; give it back once, with what the write showed.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly WriteLimiter _owner;
        private readonly long _started;
        private readonly int _epoch;
        private int _done;

        internal Lease(WriteLimiter owner, long started, int epoch)
        {
            _owner = owner;
            _started = started;
            _epoch = epoch;
        }

        /// <summary>Gives the slot back; <paramref name="signal"/> says what the limiter learns. Later calls do nothing.</summary>
        public void Complete(WriteSignal signal)
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                _owner.Release(_started, _epoch, signal);
            }
        }

        /// <summary>
        /// Ends this write with what it showed, as <see cref="Complete"/> does, but keeps the slot for the holder's next
        /// write (of <paramref name="turn"/>) when the limit still allows it and no waiter of an earlier turn is
        /// waiting. Returns the lease for that next write, or null when the slot went back (then acquire again).
        /// </summary>
        public Lease? CompleteAndKeep(WriteSignal signal, long turn) =>
            Interlocked.Exchange(ref _done, 1) == 0 ? _owner.Release(_started, _epoch, signal, turn) : null;

        /// <summary>Gives the slot back without a sample (an exception, a cancel).</summary>
        public void Dispose() => Complete(WriteSignal.Ignored);
    }
}
