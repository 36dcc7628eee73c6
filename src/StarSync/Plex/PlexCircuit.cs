using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace StarSync.Plex;

/// <summary>
/// The Plex pipeline's circuit breaker, seen from outside: whether it has paused requests, the cause of the last failed
/// request (so "paused" never hides why), and a reset when the URL or token changes (a new server deserves a fresh start).
/// </summary>
public sealed class PlexCircuit : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile string? _lastFailure;

    /// <summary>Watches the Plex options; a new URL or token closes the circuit.</summary>
    public PlexCircuit(IOptionsMonitor<PlexOptions> options)
    {
        var current = Key(options.CurrentValue);
        _subscription = options.OnChange(changed =>
        {
            var next = Key(changed);
            if (next == current)
            {
                return;
            }

            current = next;
            _lastFailure = null;
            // Closing an attached breaker is cheap; before the pipeline exists there is nothing to close.
            _ = Control.CloseAsync();
        });
    }

    /// <summary>Lets StarSync close the circuit when the connection settings change.</summary>
    public CircuitBreakerManualControl Control { get; } = new();

    /// <summary>The breaker's state (closed, open, half-open).</summary>
    public CircuitBreakerStateProvider State { get; } = new();

    /// <summary>True while the breaker fails requests fast without asking Plex.</summary>
    public bool IsPaused => State.CircuitState is CircuitState.Open or CircuitState.Isolated;

    /// <summary>The cause of the last failed request, in words (never the token); null after a success or a settings change.</summary>
    public string? LastFailure => _lastFailure;

    internal void Failed(string cause) => _lastFailure = cause;

    internal void Succeeded() => _lastFailure = null;

    private static (string, string) Key(PlexOptions o) => (o.Url?.Trim() ?? "", o.Token?.Trim() ?? "");

    /// <inheritdoc />
    public void Dispose() => _subscription?.Dispose();
}
