namespace StarSync.Plex;

/// <summary>
/// Retry and circuit-breaker knobs for Plex requests. Not bound from configuration: the defaults suit a home server,
/// and tests shrink the delays so a faulty emulator does not slow the suite.
/// </summary>
public sealed class PlexResilienceOptions
{
    /// <summary>Retries after the first attempt (default 7: eight tries in all, spread over ~13 s, long enough for a Plex restart to begin answering again).</summary>
    public int MaxRetryAttempts { get; set; } = 7;

    /// <summary>
    /// First retry delay; later ones double, with jitter (default 100 ms: 0.1, 0.2, 0.4 … 6.4 s). Short first
    /// retries keep an occasional fault cheap (issue 9 item 10: a 10% fault rate must not multiply a run's time).
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Cap on a single retry delay (default 30 s).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of failed attempts within the sampling window that opens the circuit (default 0.5).</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the window before the breaker judges (default 20).</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    /// <summary>How long an open circuit fails fast before probing Plex again (default 15 s).</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
