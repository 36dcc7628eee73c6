namespace StarSync.Plex;

/// <summary>
/// The one jittered exponential backoff: the reconnecting notification listener and the write path's retries both
/// wait with it. Attempt 1 waits about <c>baseDelay</c>, each attempt doubles it, the step is capped at
/// <c>maxDelay</c>, and each wait is 50..100 % of its step ("equal jitter"), so clients that failed together do not
/// come back together and no wait exceeds the cap.
/// </summary>
public static class Backoff
{
    /// <summary>The wait before <paramref name="attempt"/> (1 = the first retry); <paramref name="jitter"/> is 0..1 (e.g. <c>Random.Shared.NextDouble()</c>).</summary>
    public static TimeSpan Delay(TimeSpan baseDelay, TimeSpan maxDelay, int attempt, double jitter)
    {
        var step = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var capped = Math.Min(step, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * Math.Clamp(jitter, 0, 1))));
    }
}
