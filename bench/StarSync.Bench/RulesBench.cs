using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Rules;

namespace StarSync.Bench;

/// <summary>
/// Rating rules (issue 13): preview time and peak memory at library sizes, and a rate-all with five rules against the
/// single default rule (same library, same latency model).
/// </summary>
internal static class RulesBench
{
    /// <summary>Five rules that need every input: durations, skips, plays, album tags (live), and hand ratings (inherit).</summary>
    public static IReadOnlyList<RatingRule> FiveRules =>
    [
        new() { Name = "Interludes", When = new() { DurationUnderSeconds = 90 }, Then = new() { Kind = OutcomeKind.Unrated } },
        new() { Name = "Often skipped", When = new() { SkipsAtLeast = 5, PlaysAtMost = 3 }, Then = new() { Kind = OutcomeKind.Fixed, Value = 2 } },
        new() { Name = "Like the album", Then = new() { Kind = OutcomeKind.Inherit } },
        new() { Name = "Live albums", When = new() { Live = true }, Then = new() { Kind = OutcomeKind.Fixed, Value = 2 } },
        new() { Name = "Everything else", Then = new() { Kind = OutcomeKind.Fixed, Value = 3 } },
    ];

    /// <summary>
    /// Preview rows (cold and warm, median of 3, peak RSS; each size in a child process against the emulator in its
    /// own process) at <see cref="BenchOptions.Tracks"/> and, without --quick, 1M tracks; then the rate-all comparison.
    /// </summary>
    public static async Task RunAsync(Report report, BenchOptions o)
    {
        report.Line("### Rating rules: preview and rate-all (issue 13)");
        report.Line();
        report.Line("Five rules: interludes (< 90 s) left unrated; skipped ≥ 5 and played ≤ 3 → 1★; inherit from the album/artist (K = 3, prior weight 2); live albums (Subformat or title) → 1★; everything else → 3★. 10% of tracks hand-rated.");
        report.Line();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var tracks in o.Quick ? new[] { o.Tracks } : [o.Tracks, 1_000_000])
        {
            var loadBefore = Load();
            var (child, emulatorCpu) = await PreviewInChildAsync(tracks);
            var values = child.Detail.Split(';').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            var cold = Ms(values["cold"]);
            var warm = Ms(values["warm"]);
            rows.Add([Report.N(tracks), values["unrated"], Report.Secs(Median(cold)), Report.Secs(cold.Min()), Report.Secs(Median(warm)), Report.Secs(warm.Min()),
                values["kept"], Report.Mb(child.PeakWorkingSet), values["cpu"] + " s / " + emulatorCpu, values["perRule"], $"{loadBefore} → {Load()}"]);
        }

        report.Table(["tracks", "unrated", "cold preview (median of 3: Refresh, reads Plex)", "best cold", "warm preview (median of 3: an edited rule, kept signals)", "best warm",
            "signals kept", "peak RSS of the previewing process (3 cold + 3 warm)", "CPU: StarSync / emulator (user+sys)", "tracks per rule", "load average before → after"], rows);
        await RateAllAsync(report, o);
    }

    private static TimeSpan[] Ms(string list) => list.Split(',').Select(v => TimeSpan.FromMilliseconds(double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))).ToArray();

    private static TimeSpan Median(TimeSpan[] values) => values.Order().ElementAt(values.Length / 2);

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    /// <summary>
    /// Child mode: three cold previews of the five rules (Refresh: read Plex, keep the signals), then three warm ones
    /// (each with one rule's threshold changed, as an edit does), in a process of its own so its peak working set is
    /// StarSync's alone. Prints one line of key=value pairs for the parent.
    /// </summary>
    public static async Task<int> PreviewChildAsync(string url, string token, string title)
    {
        await using var app = await AppSide.StartAsync(new Uri(url), token, title, 4);
        var settings = app.App.Services.GetRequiredService<SettingsStore>().Current;
        var preview = app.App.Services.GetRequiredService<RulesPreview>();
        var cold = new List<double>();
        var warm = new List<double>();
        RulesPreviewResult? last = null;
        for (var run = 0; run < 3; run++)
        {
            var started = Stopwatch.GetTimestamp();
            last = await preview.PreviewAsync(settings, FiveRules, refresh: true, CancellationToken.None);
            cold.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        for (var run = 0; run < 3; run++)
        {
            var edited = FiveRules.ToArray();
            edited[1] = edited[1] with { When = edited[1].When with { SkipsAtLeast = 4 + run } };
            var started = Stopwatch.GetTimestamp();
            var result = await preview.PreviewAsync(settings, edited, CancellationToken.None);
            warm.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (result.Libraries.Any(l => !l.FromCache) && result.Libraries.All(l => l.NotKept is null))
            {
                throw new InvalidOperationException("A warm preview read Plex although its signals were kept.");
            }
        }

        var lib = last!.Libraries[0];
        var process = Process.GetCurrentProcess();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Console.WriteLine(string.Join(';',
            "cold=" + string.Join(',', cold.Select(c => c.ToString("0", inv))),
            "warm=" + string.Join(',', warm.Select(c => c.ToString("0", inv))),
            "unrated=" + Report.N(lib.Unrated),
            "kept=" + (lib.NotKept is { } why ? "no: " + why : "yes, " + Report.Mb(app.App.Services.GetRequiredService<SignalCache>().Bytes)),
            "cpu=" + process.TotalProcessorTime.TotalSeconds.ToString("0.0", inv),
            "perRule=" + string.Join(", ", lib.Rules.Select(r => $"{r.Name} {Report.N(r.Count)}"))));
        return 0;
    }

    // The emulator in a process of its own (no latency model): the child's RSS and CPU are StarSync's alone.
    private static async Task<(MemoryBench.ChildResult Child, string EmulatorCpu)> PreviewInChildAsync(int tracks)
    {
        var release = MemoryBench.FindBuildOutput();
        using var emulator = MemoryBench.StartProcess("dotnet", [release.Emulator, "--tracks", tracks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port", "0", "--token", "bench-token", "--seed", "1"], null);
        try
        {
            var (url, title) = await MemoryBench.ReadEmulatorBannerAsync(emulator);
            emulator.Refresh();
            var emulatorBefore = emulator.TotalProcessorTime;
            var child = await MemoryBench.RunChildAsync("dotnet", [typeof(RulesBench).Assembly.Location, "--child-preview", url, "bench-token", title],
                new Dictionary<string, string> { ["RATING_STYLE"] = "5stars", ["TARGET_RATING"] = "3", ["LIBRARY_NAME"] = title, ["PLEX_URL"] = url, ["PLEX_TOKEN"] = "bench-token" });
            emulator.Refresh();
            return (child, (emulator.TotalProcessorTime - emulatorBefore).TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s");
        }
        finally
        {
            emulator.Kill(entireProcessTree: true);
            await emulator.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Rate-all with the five rules against the default rule: a new emulator with the same library (same seed) for
    /// every run, the runs alternated (default, five, default, …) three times each, the write path at its defaults
    /// (WRITE_MODE=auto, WRITE_CONCURRENCY=auto) with the latency model on. Throughput is per rating written, since
    /// the five rules leave the interludes unrated and so write fewer tracks.
    /// </summary>
    private static async Task RateAllAsync(Report report, BenchOptions o)
    {
        var tracks = o.SweepTracks;
        var runs = new Dictionary<string, List<(TimeSpan Elapsed, long Writes, long Requests, int Skipped)>> { ["default rule"] = [], ["five rules"] = [] };
        // JIT and connections warmed on a small library first, so the first measured run is not the slow one.
        foreach (var rules in new IReadOnlyList<RatingRule>?[] { null, FiveRules })
        {
            await using var plex = await Scenarios.StartEmulatorAsync(3000, 0.1, latency: !o.NoLatency);
            await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, plex.Library.Sections.First(s => s.IsMusic).Title, o.Headline,
                new Dictionary<string, string?> { ["WRITE_MODE"] = "auto", ["WRITE_CONCURRENCY"] = "auto" });
            await app.App.Services.GetRequiredService<SettingsStore>().UpdateAsync(s => s with { Rules = rules }, CancellationToken.None);
            await app.RunAsync(JobMode.All);
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var (name, rules) in new (string, IReadOnlyList<RatingRule>?)[] { ("default rule", null), ("five rules", FiveRules) })
            {
                await using var plex = await Scenarios.StartEmulatorAsync(tracks, 0.1, latency: !o.NoLatency);
                var music = plex.Library.Sections.First(s => s.IsMusic);
                await using var app = await AppSide.StartAsync(plex.BaseUri, plex.Token, music.Title, o.Headline,
                    new Dictionary<string, string?> { ["WRITE_MODE"] = "auto", ["WRITE_CONCURRENCY"] = "auto" });
                await app.App.Services.GetRequiredService<SettingsStore>().UpdateAsync(s => s with { Rules = rules }, CancellationToken.None);
                plex.Counters.Reset();
                var (job, elapsed) = await app.RunAsync(JobMode.All);
                runs[name].Add((elapsed, plex.Counters.RatingWrites, plex.Counters.Requests, job.Counts.Skipped));
            }
        }

        double PerSecond((TimeSpan Elapsed, long Writes, long Requests, int Skipped) r) => r.Writes / r.Elapsed.TotalSeconds;
        var baseline = runs["default rule"].Select(PerSecond).Order().ElementAt(1);
        var rows = runs.Select(kv =>
        {
            var median = kv.Value.OrderBy(PerSecond).ElementAt(1);
            return (IReadOnlyList<string>)[kv.Key, string.Join(", ", kv.Value.Select(r => Report.Secs(r.Elapsed))), Report.N(median.Requests), Report.N(median.Writes),
                Report.N(median.Skipped), string.Join(", ", kv.Value.Select(r => Report.F(PerSecond(r), "0"))), Report.F(PerSecond(median), "0") + "/s",
                Report.F(PerSecond(median) / baseline, "0.00") + "x"];
        }).ToList();

        report.Line();
        report.Line($"Rate all, {Report.N(tracks)} tracks (90% unrated), WRITE_MODE=auto, WRITE_CONCURRENCY=auto, latency model {(o.NoLatency ? "off" : "on")}; runs alternated default / five rules, 3 each, a fresh emulator (same library) per run:");
        report.Line();
        report.Table(["rules", "wall times", "requests (median run)", "ratings written", "skipped", "ratings written per second, each run", "median", "throughput vs default"], rows);
    }
}
