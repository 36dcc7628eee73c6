namespace StarSync.Jobs;

/// <summary>
/// A running job's pace over its last <see cref="Window"/> (not since the start, so a slow first page or a fast run of
/// skips does not skew the rest), and the ETA of the whole job's remaining tracks at that pace.
/// </summary>
internal sealed class RecentRate(TimeProvider time)
{
    /// <summary>How much recent time the rates are measured over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    /// <summary>A rate needs at least this much time between its samples; before that the ETA is unknown.</summary>
    public static readonly TimeSpan Shortest = TimeSpan.FromSeconds(1);

    private readonly Queue<(long At, int Done, int Writes)> _samples = new();

    /// <summary>
    /// Records the job's counters now and returns the writes per second and the ETA in seconds: the tracks left
    /// (<paramref name="total"/> − <paramref name="done"/>, every library included) over the tracks looked at per second
    /// in the window. The ETA is null while the pace is unknown, or when the total is not (new items still being read).
    /// </summary>
    public (double WritesPerSecond, double? EtaSeconds) Sample(int done, int writes, int total, bool totalKnown)
    {
        var now = time.GetTimestamp();
        _samples.Enqueue((now, done, writes));
        while (_samples.Count > 2 && time.GetElapsedTime(_samples.Peek().At, now) > Window)
        {
            _samples.Dequeue();
        }

        var (at, doneThen, writesThen) = _samples.Peek();
        var elapsed = time.GetElapsedTime(at, now);
        var seconds = elapsed.TotalSeconds;
        var writeRate = seconds > 0 ? (writes - writesThen) / seconds : 0;
        var left = Math.Max(0, total - done);
        double? eta = null;
        if (totalKnown && left == 0)
        {
            eta = 0;
        }
        else if (totalKnown && elapsed >= Shortest && done > doneThen)
        {
            eta = Math.Round(left / ((done - doneThen) / seconds), 1);
        }

        return (Math.Round(writeRate, 1), eta);
    }
}
