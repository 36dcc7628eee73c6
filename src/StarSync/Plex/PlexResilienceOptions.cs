namespace StarSync.Plex;

/// <summary>
/// Retry and circuit-breaker knobs for Plex requests. Not bound from configuration: the defaults suit a home server,
/// and tests shrink the delays so a faulty emulator does not slow the suite.
/// </summary>
public sealed class PlexResilienceOptions
{
    /// <summary>Retries after the first attempt (default 4: five tries in all).</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First retry delay; later ones grow exponentially with jitter (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap on a single retry delay (default 30 s).</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of failed attempts within the sampling window that opens the circuit (default 0.5).</summary>
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts needed in the window before the breaker judges (default 20).</summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    /// <summary>How long an open circuit fails fast before probing Plex again (default 15 s).</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
