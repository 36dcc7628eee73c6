// End-to-end benchmarks of StarSync against the emulated Plex Media Server, each beside a naive baseline measured in
// the same run. Usage: dotnet run -c Release --project bench/StarSync.Bench -- [--quick] [--only a,b] [--out FILE]
// (--only history [--history-changes N]: the history API against a journal of N changes, default 1M)
// (--only writepath [--writepath-tracks N] [--writepath-parts PARTS]: issue 11's write path; --help lists the parts)
using System.Diagnostics;
using System.Globalization;
using StarSync.Bench;

if (args is ["--child-stream", var url, var token, var title])
{
    return await MemoryBench.StreamChildAsync(url, token, title);
}

if (args is ["--child-preview", var previewUrl, var previewToken, var previewTitle])
{
    return await RulesBench.PreviewChildAsync(previewUrl, previewToken, previewTitle);
}

// An option this program does not know is an error, never ignored (a typo would otherwise run every benchmark).
string[] flags = ["--quick", "--no-latency"];
string[] benchmarks = ["rate", "sweep", "steady", "recent", "rules", "writepath", "memory", "parse", "history"];
// Each option that takes a value, with what it takes: N a positive whole number, N,N a comma-separated list of them,
// FILE a path, or the names it may list. The usage is built from these, so it lists exactly what is checked.
(string Name, string Takes)[] valued =
[
    ("--only", string.Join(',', benchmarks)), ("--out", "FILE"), ("--tracks", "N"), ("--concurrency", "N,N"), ("--sweep-tracks", "N"),
    ("--sweep", "N,N"), ("--headline", "N"), ("--baseline-sample", "N"), ("--recent", "N"), ("--memory-tracks", "N,N"),
    ("--writepath-tracks", "N"), ("--writepath-parts", string.Join(',', WritePathBench.Parts)), ("--history-changes", "N"),
];
var usage = "Usage: dotnet run -c Release --project bench/StarSync.Bench -- "
    + string.Join(' ', flags.Select(f => $"[{f}]").Concat(valued.Select(v => $"[{v.Name} {v.Takes}]")));
for (var i = 0; i < args.Length; i++)
{
    var problem = args[i] is "--help" or "-h" ? ""
        : flags.Contains(args[i]) ? null
        : valued.FirstOrDefault(v => v.Name == args[i]).Takes is not { } takes ? $"unknown option '{args[i]}'"
        : i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal) ? $"{args[i]} needs a value"
        : takes is not ("N" or "N,N") ? null
        : args[i + 1].Split(',').All(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) ? null
        : $"{args[i]} takes a positive whole number (or a comma-separated list of them), not '{args[i + 1]}'";
    if (problem is null && args[i] is "--only" && args[i + 1].Split(',').FirstOrDefault(b => !benchmarks.Contains(b.Trim())) is { } unknownBench)
    {
        problem = $"--only: unknown benchmark '{unknownBench}'";
    }

    if (problem is null && args[i] is "--writepath-parts" && args[i + 1].Split(',').FirstOrDefault(p => !WritePathBench.Parts.Contains(p.Trim())) is { } unknownPart)
    {
        problem = $"--writepath-parts: unknown part '{unknownPart}'";
    }

    if (problem is not null)
    {
        Console.Error.WriteLine(problem.Length == 0 ? usage : $"{problem}. {usage}");
        return problem.Length == 0 ? 0 : 2;
    }

    i += valued.Any(v => v.Name == args[i]) ? 1 : 0;
}

var quick = args.Contains("--quick");
var only = Value("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var concurrencies = Value("--concurrency")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
    ?? (quick ? [4, 16] : [16, 32]);
var options = new BenchOptions(
    Tracks: Int("--tracks") ?? (quick ? 10_000 : 100_000),
    Concurrencies: concurrencies,
    SweepTracks: Int("--sweep-tracks") ?? 20_000,
    Sweep: Value("--sweep")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? (quick ? [] : [4, 8, 16, 32]),
    Headline: Int("--headline") ?? 16,
    BaselineWriteSample: Int("--baseline-sample") ?? (quick ? 300 : 2000),
    RecentN: Int("--recent") ?? 500,
    MemoryTracks: Value("--memory-tracks")?.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
        ?? (quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]),
    Quick: quick,
    NoLatency: args.Contains("--no-latency"));
var output = Value("--out") ?? Path.Combine(Path.GetTempPath(), "starsync-bench-results.md");

var report = new Report();
report.Line($"## Run: `{string.Join(' ', args)}`{(quick ? " (quick)" : "")}");
report.Line();
foreach (var line in Report.MachineInfo())
{
    report.Line(line);
}

report.Line(options.NoLatency
    ? "- Latency model: OFF (--no-latency, diagnostics only: shows the CPU cost of both sides)"
    : $"- Latency model (throughput scenarios): {BenchOptions.RequestLatency.TotalMilliseconds} ms per request + {BenchOptions.WriteLatency.TotalMilliseconds} ms per rating write, writes not serialized; emulator in the bench process");
report.Line($"- Timer check at start: {await Scenarios.CalibrateDelaysAsync()}");
report.Line();

var total = Stopwatch.StartNew();
bool Runs(string name) => only is null || only.Contains(name);
if (Runs("rate") || Runs("sweep") || Runs("steady") || Runs("recent"))
{
    await Scenarios.WarmUpAsync();
}

if (Runs("rate"))
{
    await Scenarios.RateAllAsync(report, options, 1.0, options.Tracks, options.Concurrencies);
    await Scenarios.RateAllAsync(report, options, 0.5, options.Tracks, options.Concurrencies);
}

if (Runs("sweep") && options.Sweep.Length > 0)
{
    report.Line($"#### Write-concurrency sweep ({Report.N(options.SweepTracks)} tracks, to keep the slow low-concurrency runs short)");
    report.Line();
    await Scenarios.RateAllAsync(report, options, 1.0, options.SweepTracks, options.Sweep);
}

if (Runs("steady"))
{
    await Scenarios.SteadyStateAsync(report, options);
}

if (Runs("recent"))
{
    await Scenarios.RecentAsync(report, options);
}

if (Runs("rules"))
{
    await RulesBench.RunAsync(report, options);
}

if (Runs("writepath"))
{
    await WritePathBench.RunAsync(report, Int("--writepath-tracks") ?? (quick ? 20_000 : 100_000), options.BaselineWriteSample,
        Value("--writepath-parts")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

if (Runs("memory"))
{
    await MemoryBench.RunAsync(report, options);
}
else if (Runs("parse"))
{
    await MemoryBench.ParseCostAsync(report);
}

if (Runs("history"))
{
    await HistoryBench.RunAsync(report, Int("--history-changes") ?? (quick ? 200_000 : 1_000_000));
    await HistoryBench.WriteCostAsync(report);
}

report.Line($"- Timer check at end: {await Scenarios.CalibrateDelaysAsync()}");
report.Line($"- Total bench wall time: {Report.Secs(total.Elapsed)}");
await File.WriteAllTextAsync(output, report.ToString());
Console.WriteLine($"Results written to {output}");
return 0;

string? Value(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int? Int(string name) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
