using System.Diagnostics.Metrics;
using StarSync.Jobs;

namespace StarSync.Health;

/// <summary>
/// StarSync's own instruments on the one <see cref="MeterName"/> meter: jobs finished by outcome and track ratings
/// changed by kind. Plex request latency and errors come from HttpClient's built-in <c>System.Net.Http</c> meter.
/// </summary>
public sealed class StarSyncMetrics : IJobEventHandler, IDisposable
{
    /// <summary>The meter every StarSync instrument belongs to.</summary>
    public const string MeterName = "StarSync";

    private readonly Meter _meter;
    private readonly Counter<long> _jobs;
    private readonly Counter<long> _tracks;

    // Named so that Prometheus sees starsync_jobs_total and starsync_tracks_total, the names earlier versions exported.
    public StarSyncMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _jobs = _meter.CreateCounter<long>("jobs.total", "{job}", "Jobs finished, by outcome.");
        _tracks = _meter.CreateCounter<long>("tracks.total", "{track}", "Track ratings changed in Plex (dry runs excluded), by kind.");
    }

    /// <summary>Counts a finished job and the tracks it changed.</summary>
    public void OnJobChanged(JobRecord job)
    {
        if (job.Status is JobStatus.Queued or JobStatus.Running)
        {
            return;
        }

        _jobs.Add(1, new KeyValuePair<string, object?>("status", job.Status.ToString().ToLowerInvariant()));
        if (job.DryRun)
        {
            return;
        }

        Add("rated", job.Counts.Rated);
        Add("updated", job.Counts.Updated);
        Add("cleared", job.Counts.Cleared);
        Add("restored", job.Counts.Restored);
        Add("failed", job.Counts.Failed);
    }

    /// <summary>The meter, for exporters to recognise as this app's (another app in the same process has its own).</summary>
    public Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();

    private void Add(string kind, long value)
    {
        if (value > 0)
        {
            _tracks.Add(value, new KeyValuePair<string, object?>("kind", kind));
        }
    }
}
