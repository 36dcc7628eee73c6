using System.Diagnostics.Metrics;
using Prometheus;

namespace StarSync.Health;

/// <summary>
/// Publishes this app's meters in Prometheus text format through prometheus-net's MeterAdapter: StarSync's own
/// (<see cref="StarSyncMetrics"/>) and HttpClient's <c>System.Net.Http</c> (Plex request duration and errors).
/// A registry of its own, not prometheus-net's static default, so two hosts in one process (tests) stay apart.
/// </summary>
public sealed class MetricsExporter(StarSyncMetrics metrics, IMeterFactory meterFactory) : IHostedService, IDisposable
{
    private IDisposable? _listener;

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
            // Only the meters of this host's container: IHttpClientFactory creates System.Net.Http's through it too.
            InstrumentFilterPredicate = instrument => ReferenceEquals(instrument.Meter, metrics.Meter)
                || (instrument.Meter.Name == "System.Net.Http" && ReferenceEquals(instrument.Meter.Scope, meterFactory)),
            // As long as the adapter allows (one day): a series idle for longer restarts from zero, which Prometheus
            // treats as a counter reset. The label sets are small, so keeping them costs nothing.
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener?.Dispose();
}
