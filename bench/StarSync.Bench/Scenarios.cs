using System.Diagnostics;
using StarSync.Jobs;
using StarSync.PlexEmulator;

namespace StarSync.Bench;

/// <summary>Settings of one bench run.</summary>
internal sealed record BenchOptions(
    int Tracks,
    int[] Concurrencies,
    int SweepTracks,
    int[] Sweep,
    int Headline,
    int BaselineWriteSample,
    int RecentN,
    int[] MemoryTracks,
    bool Quick,
    bool NoLatency)
{
    public static readonly TimeSpan RequestLatency = TimeSpan.FromMilliseconds(2);
    public static readonly TimeSpan WriteLatency = TimeSpan.FromMilliseconds(3);
}

/// <summary>The throughput scenarios: StarSync and the naive baseline against the same in-process emulator, in one run.</summary>
internal static class Scenarios
{
    private const double TargetRating = 6.0; // TARGET_RATING=3 with RATING_STYLE=5stars

    public static async Task<PlexEmulatorServer> StartEmulatorAsync(int tracks, double handRatedShare, bool latency, int libraries = 1)
    {
        var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions
        {
            Tracks = tracks,
            Seed = 1,
            HandRatedShare = handRatedShare,
            MusicLibraries = libraries,
        });
        if (latency)
        {
            plex.Options.Latency.PerRequest = BenchOptions.RequestLatency;
            plex.Options.Latency.PerRatingWrite = BenchOptions.WriteLatency;
            plex.Options.Latency.SerializeWrites = false;
        }

        return plex;
    }

    /// <summary>JIT and connection warm-up for both sides on a small library, results discarded.</summary>
    public static async Task WarmUpAsync()
    {
        await using var plex = await StartEmulatorAsync(3000, 0.5, latency: false);
        var music = plex.Library.Sections.First(s => s.IsMusic);
        using (var naive = new NaiveBaseline(plex.BaseUri, plex.Token))
        {
            var section = await naive.FindSectionAsync(music.Title, CancellationToken.None);
            var (unrated, _, _) = await naive.ListUnratedAsync(section, null, null, CancellationToken.None);
            await naive.RateSeriallyAsync(unrated.Take(200), TargetRating, CancellationToken.None);
            await naive.ListUnratedAsync(section, "addedAt:desc", 500, CancellationToken.None);
        }

        await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, 8);
        await app.RunAsync(JobMode.Recent, count: 500);
        await app.RunAsync(JobMode.All);
        await app.RunAsync(JobMode.All);
    }

    /// <summary>"Rate everything" with the given share of unrated tracks; StarSync at each concurrency of the sweep.</summary>
    public static async Task RateAllAsync(Report report, BenchOptions o, double unratedShare, int tracks, int[] concurrencies)
    {
        await using var plex = await StartEmulatorAsync(tracks, 1 - unratedShare, latency: !o.NoLatency);
        var music = plex.Library.Sections.First(s => s.IsMusic);
        var initiallyUnrated = plex.Library.TrackKeys(music.Key).Where(k => plex.Library.GetUserRating(k) is null).ToArray();
        var unratedCount = initiallyUnrated.Length;
        report.Line($"### Rate everything: {Report.N(tracks)} tracks, {Report.N(unratedCount)} unrated ({Report.F(100.0 * unratedCount / tracks, "0")}%)");
        report.Line();

        // Naive baseline: full listing measured; serial writes measured on a sample and extrapolated linearly.
        plex.Counters.Reset();
        using var naive = new NaiveBaseline(plex.BaseUri, plex.Token);
        var started = Stopwatch.GetTimestamp();
        var section = await naive.FindSectionAsync(music.Title, CancellationToken.None);
        var (unrated, seen, pages) = await naive.ListUnratedAsync(section, null, null, CancellationToken.None);
        var listing = Stopwatch.GetElapsedTime(started);
        var sample = Math.Min(o.BaselineWriteSample, unrated.Count);
        var sampleTime = await naive.RateSeriallyAsync(unrated.Take(sample), TargetRating, CancellationToken.None);
        var measuredRequests = plex.Counters.Requests;
        var perWrite = sampleTime / sample;
        var baselineWrites = perWrite * unrated.Count;
        var baseline = listing + baselineWrites;
        var baselineRequests = 1 + pages + unrated.Count;
        foreach (var key in unrated.Take(sample))
        {
            plex.Library.SetUserRating(key, null);
        }

        Check(seen == tracks && unrated.Count == unratedCount, $"baseline saw {seen} tracks, {unrated.Count} unrated");

        var rows = new List<IReadOnlyList<string>>
        {
            new[]
            {
                "naive baseline (serial, pages of 100)", "1",
                $"{Secs(baseline)} (extrapolated: listing {Secs(listing)} measured + {Report.N(unrated.Count)} writes × {Report.F(perWrite.TotalMilliseconds, "0.00")} ms measured on the first {Report.N(sample)} = {Secs(sampleTime)})",
                $"{Report.N(baselineRequests)} ({Report.N(measuredRequests)} sent: {Report.N(1 + pages)} listing + {Report.N(sample)} writes)",
                Report.N(unrated.Count), "-", "1.0x", "-", "-", "-",
            },
        };

        foreach (var c in concurrencies)
        {
            plex.Counters.Reset();
            await using (var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, c))
            {
                var (job, elapsed) = await app.RunAsync(JobMode.All);
                var requests = plex.Counters.Requests;
                var writes = plex.Counters.RatingWrites;
                var peak = plex.Counters.PeakConcurrentRequests;
                Check(job.Counts.Rated == unratedCount && writes == unratedCount && plex.Library.CountUnrated(music.Key) == 0,
                    $"StarSync c={c} rated {job.Counts.Rated}, wrote {writes}, left {plex.Library.CountUnrated(music.Key)} unrated");
                var limit = BenchOptions.WriteLatency * writes / c;
                var floor = (BenchOptions.RequestLatency + BenchOptions.WriteLatency) * writes / c;
                var calibrated = perWrite * writes / c;
                rows.Add(
                [
                    $"StarSync WRITE_CONCURRENCY={c}", Report.N(peak), Secs(elapsed),
                    $"{Report.N(requests)} ({Report.N(requests - writes)} listing/count + {Report.N(writes)} writes)",
                    Report.N(writes), Report.N(job.Counts.Rated),
                    Report.F(baseline / elapsed, "0.0") + "x",
                    $"{Secs(limit)} → {Report.F(elapsed / limit, "0.00")}x",
                    $"{Secs(floor)} → {Report.F(elapsed / floor, "0.00")}x",
                    $"{Secs(calibrated)} → {Report.F(elapsed / calibrated, "0.00")}x",
                ]);
            }

            foreach (var key in initiallyUnrated)
            {
                plex.Library.SetUserRating(key, null);
            }
        }

        report.Table(
            ["run", "peak concurrent requests", "wall time", "requests", "rating writes", "rated", "speed-up vs baseline", "issue's limit: writes × 3 ms / c → ratio", "nominal floor: writes × (2+3) ms / c → ratio", "calibrated floor: writes × baseline's measured ms per serial write / c → ratio"],
            rows);
    }

    /// <summary>Nothing left to rate: requests should be O(libraries), not O(tracks).</summary>
    public static async Task SteadyStateAsync(Report report, BenchOptions o)
    {
        report.Line("### Steady state: nothing left to rate");
        report.Line();
        var rows = new List<IReadOnlyList<string>>();
        var sizes = o.Quick ? new[] { (o.Tracks, 1) } : new[] { (o.Tracks / 10, 1), (o.Tracks, 1), (o.Tracks, 3) };
        foreach (var (tracks, libraries) in sizes)
        {
            await using var plex = await StartEmulatorAsync(tracks, 1.0, latency: !o.NoLatency, libraries);
            var titles = plex.Library.Sections.Where(s => s.IsMusic).Select(s => s.Title).ToArray();
            Check(titles.Sum(t => plex.Library.CountUnrated(plex.Library.Sections.First(s => s.Title == t).Key)) == 0, "library not fully rated");

            plex.Counters.Reset();
            using var naive = new NaiveBaseline(plex.BaseUri, plex.Token);
            var started = Stopwatch.GetTimestamp();
            var found = 0;
            foreach (var title in titles)
            {
                var section = await naive.FindSectionAsync(title, CancellationToken.None);
                found += (await naive.ListUnratedAsync(section, null, null, CancellationToken.None)).Unrated.Count;
            }

            var baseline = Stopwatch.GetElapsedTime(started);
            var baselineRequests = plex.Counters.Requests;
            Check(found == 0, "baseline found unrated tracks");

            await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, string.Join(",", titles), o.Headline);
            await app.RunAsync(JobMode.All); // first job on this host: journal warm-up
            var times = new List<TimeSpan>();
            long requests = 0;
            for (var i = 0; i < 5; i++)
            {
                plex.Counters.Reset();
                var (job, elapsed) = await app.RunAsync(JobMode.All);
                Check(job.Counts.Rated == 0 && plex.Counters.RatingWrites == 0, "steady state wrote something");
                requests = plex.Counters.Requests;
                times.Add(elapsed);
            }

            times.Sort();
            var median = times[times.Count / 2];
            var where = $"{Report.N(tracks)} tracks, {libraries} music librar{(libraries == 1 ? "y" : "ies")}";
            rows.Add([where, "naive baseline", Secs(baseline), Report.N(baselineRequests), "1.0x"]);
            rows.Add([where, $"StarSync (median of 5; min {Secs(times[0])}, max {Secs(times[^1])})", Secs(median), Report.N(requests), Report.F(baseline / median, "0") + "x"]);
        }

        report.Table(["library", "run", "wall time", "requests", "speed-up vs baseline"], rows);
    }

    /// <summary>Recent N: the N most recently added tracks, half of them unrated.</summary>
    public static async Task RecentAsync(Report report, BenchOptions o)
    {
        await using var plex = await StartEmulatorAsync(o.Tracks, 0.5, latency: !o.NoLatency);
        var music = plex.Library.Sections.First(s => s.IsMusic);
        var initiallyUnrated = plex.Library.TrackKeys(music.Key).Where(k => plex.Library.GetUserRating(k) is null).ToArray();
        report.Line($"### Recent N = {o.RecentN}: {Report.N(o.Tracks)} tracks, {Report.N(initiallyUnrated.Length)} unrated");
        report.Line();

        plex.Counters.Reset();
        using var naive = new NaiveBaseline(plex.BaseUri, plex.Token);
        var started = Stopwatch.GetTimestamp();
        var section = await naive.FindSectionAsync(music.Title, CancellationToken.None);
        var (unrated, seen, _) = await naive.ListUnratedAsync(section, "addedAt:desc", o.RecentN, CancellationToken.None);
        await naive.RateSeriallyAsync(unrated, TargetRating, CancellationToken.None);
        var baseline = Stopwatch.GetElapsedTime(started);
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "naive baseline (searchTracks(sort='addedAt:desc', maxresults=N), serial writes)", Secs(baseline), Report.N(plex.Counters.Requests), Report.N(plex.Counters.RatingWrites), "1.0x" },
        };
        Check(seen == o.RecentN, "baseline did not see N tracks");
        var expected = unrated.Count;
        Reset(plex, initiallyUnrated);

        foreach (var c in new[] { 4, o.Headline }.Distinct())
        {
            plex.Counters.Reset();
            await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, c);
            var (job, elapsed) = await app.RunAsync(JobMode.Recent, count: o.RecentN);
            Check(job.Counts.Rated == expected, $"StarSync rated {job.Counts.Rated}, baseline {expected}");
            rows.Add([$"StarSync Recent N, WRITE_CONCURRENCY={c}", Secs(elapsed), Report.N(plex.Counters.Requests), Report.N(plex.Counters.RatingWrites), Report.F(baseline / elapsed, "0.0") + "x"]);
            Reset(plex, initiallyUnrated);
        }

        report.Table(["run", "wall time", "requests", "rating writes", "speed-up vs baseline"], rows);
    }

    /// <summary>How long Task.Delay (the emulator's latency model) really waits here: timer granularity and a busy machine stretch it.</summary>
    public static async Task<string> CalibrateDelaysAsync()
    {
        var parts = new List<string>();
        foreach (var delay in new[] { BenchOptions.RequestLatency, BenchOptions.WriteLatency })
        {
            const int Steps = 100;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < Steps; i++)
            {
                await Task.Delay(delay);
            }

            parts.Add($"Task.Delay({delay.TotalMilliseconds} ms) took {Report.F(Stopwatch.GetElapsedTime(started).TotalMilliseconds / Steps, "0.00")} ms");
            started = Stopwatch.GetTimestamp();
            for (var i = 0; i < Steps; i++)
            {
                await PlexEmulatorServer.ModelledDelayAsync(delay);
            }

            parts.Add($"the emulator's modelled {delay.TotalMilliseconds} ms took {Report.F(Stopwatch.GetElapsedTime(started).TotalMilliseconds / Steps, "0.00")} ms");
        }

        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        return string.Join(", ", parts) + $" (mean of 100, serial); /proc/loadavg: {load}";
    }

    private static void Reset(PlexEmulatorServer plex, IEnumerable<string> unrated)
    {
        foreach (var key in unrated)
        {
            if (plex.Library.GetUserRating(key) is not null)
            {
                plex.Library.SetUserRating(key, null);
            }
        }
    }

    private static string Secs(TimeSpan t) => Report.Secs(t);

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException("Benchmark sanity check failed: " + what);
        }
    }
}
