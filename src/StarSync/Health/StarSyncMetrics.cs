using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using StarSync.Jobs;

namespace StarSync.Health;

/// <summary>
/// Counters for /metrics in Prometheus text format: jobs by outcome, tracks changed by kind, Plex request latency
/// (histogram) and errors. Kept in-process; Prometheus computes rates.
/// </summary>
public sealed class StarSyncMetrics : IJobEventHandler
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private readonly ConcurrentDictionary<string, long> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _tracks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _plexErrors = new(StringComparer.Ordinal);
    private readonly long[] _latencyBuckets = new long[Buckets.Length];
    private long _latencyCount;
    private long _latencySumMicros;

    /// <summary>Counts a finished job and the tracks it changed.</summary>
    public void OnJobChanged(JobRecord job)
    {
        if (job.Status is JobStatus.Queued or JobStatus.Running)
        {
            return;
        }

        _jobs.AddOrUpdate(job.Status.ToString().ToLowerInvariant(), 1, (_, n) => n + 1);
        if (job.DryRun)
        {
            return;
        }

        Add(_tracks, "rated", job.Counts.Rated);
        Add(_tracks, "updated", job.Counts.Updated);
        Add(_tracks, "cleared", job.Counts.Cleared);
        Add(_tracks, "restored", job.Counts.Restored);
        Add(_tracks, "failed", job.Counts.Failed);
    }

    /// <summary>Records one Plex request (one attempt): its duration and, when it failed, a short reason ("500", "timeout", "connection").</summary>
    public void RecordPlexRequest(TimeSpan duration, string? error)
    {
        var seconds = duration.TotalSeconds;
        for (var i = 0; i < Buckets.Length; i++)
        {
            if (seconds <= Buckets[i])
            {
                Interlocked.Increment(ref _latencyBuckets[i]);
            }
        }

        Interlocked.Increment(ref _latencyCount);
        Interlocked.Add(ref _latencySumMicros, (long)(seconds * 1_000_000));
        if (error is not null)
        {
            _plexErrors.AddOrUpdate(error, 1, (_, n) => n + 1);
        }
    }

    /// <summary>The exposition text.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        Counter(text, "starsync_jobs_total", "Jobs finished, by outcome.", "status", _jobs);
        Counter(text, "starsync_tracks_total", "Track ratings changed in Plex (dry runs excluded), by kind.", "kind", _tracks);
        Counter(text, "starsync_plex_request_errors_total", "Plex request attempts that failed, by reason.", "reason", _plexErrors);
        text.Append("# HELP starsync_plex_request_duration_seconds Duration of Plex request attempts.\n");
        text.Append("# TYPE starsync_plex_request_duration_seconds histogram\n");
        for (var i = 0; i < Buckets.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"starsync_plex_request_duration_seconds_bucket{{le=\"{Buckets[i]}\"}} {Interlocked.Read(ref _latencyBuckets[i])}\n");
        }

        var count = Interlocked.Read(ref _latencyCount);
        text.Append(CultureInfo.InvariantCulture, $"starsync_plex_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n");
        text.Append(CultureInfo.InvariantCulture, $"starsync_plex_request_duration_seconds_sum {Interlocked.Read(ref _latencySumMicros) / 1_000_000.0}\n");
        text.Append(CultureInfo.InvariantCulture, $"starsync_plex_request_duration_seconds_count {count}\n");
        return text.ToString();
    }

    private static void Add(ConcurrentDictionary<string, long> map, string key, long value)
    {
        if (value > 0)
        {
            map.AddOrUpdate(key, value, (_, n) => n + value);
        }
    }

    private static void Counter(StringBuilder text, string name, string help, string label, ConcurrentDictionary<string, long> values)
    {
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n");
        foreach (var (key, value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{{label}=\"{key}\"}} {value}\n");
        }
    }
}

/// <summary>
/// Times every Plex request attempt for <see cref="StarSyncMetrics"/>; sits inside the retry loop so each attempt
/// counts. Without metrics registered (the Plex client used on its own) it only passes requests through.
/// </summary>
public sealed class PlexMetricsHandler(IServiceProvider services) : DelegatingHandler
{
    private readonly StarSyncMetrics? _metrics = services.GetService<StarSyncMetrics>();
    private readonly TimeProvider _time = services.GetService<TimeProvider>() ?? TimeProvider.System;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_metrics is not { } metrics)
        {
            return await base.SendAsync(request, cancellationToken);
        }

        var time = _time;
        var started = time.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            metrics.RecordPlexRequest(time.GetElapsedTime(started), response.IsSuccessStatusCode ? null : ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            return response;
        }
        catch (HttpRequestException)
        {
            metrics.RecordPlexRequest(time.GetElapsedTime(started), "connection");
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.RecordPlexRequest(time.GetElapsedTime(started), "timeout");
            throw;
        }
    }
}
