using System.Diagnostics.Metrics;
using Prometheus;

namespace StarSync.Health;

/// <summary>
/// Publishes this app's meters in Prometheus text format through prometheus-net's MeterAdapter: StarSync's own
/// (<see cref="StarSyncMetrics"/>) and, of HttpClient's <c>System.Net.Http</c>, the Plex request duration (errors by status and error type).
/// A registry of its own, not prometheus-net's static default, so two hosts in one process (tests) stay apart.
/// </summary>
public sealed class MetricsExporter(StarSyncMetrics metrics, IMeterFactory meterFactory) : IHostedService, IDisposable
{
    private IDisposable? _listener;

    /// <summary>HttpClient's instrument for a request's duration, by status code: the one of System.Net.Http that /metrics exports.</summary>
    public const string PlexRequestDuration = "http.client.request.duration";

    /// <summary>What /metrics serves.</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener ??= MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            // Without a factory of its own the adapter writes to prometheus-net's static default registry.
            MetricFactory = Metrics.WithCustomRegistry(Registry),
            // Request durations (seconds) from 5 ms to 30 s, the range a Plex answer falls in.
            ResolveHistogramBuckets = _ => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            // Only the meters of this host's container (IHttpClientFactory creates System.Net.Http's through it too),
            // and of System.Net.Http only the request duration: its connection instruments record at every request's
            // start and end (a connection turns active, then idle), and each recording is a label lookup here: with
            // one write per track, 7-8% of the web app's CPU went to metrics nobody charted (docs/benchmarks.md,
            // "2026-12-01, third session").
            InstrumentFilterPredicate = instrument => ReferenceEquals(instrument.Meter, metrics.Meter)
                || (instrument.Meter.Name == "System.Net.Http" && instrument.Name == PlexRequestDuration && ReferenceEquals(instrument.Meter.Scope, meterFactory)),
            // As long as the adapter allows (one day): a series idle for longer restarts from zero, which Prometheus
            // treats as a counter reset. The label sets are small, so keeping them costs nothing.
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener?.Dispose();
}
