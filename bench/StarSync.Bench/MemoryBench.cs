using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Plex;

namespace StarSync.Bench;

/// <summary>
/// Peak memory of the app side at several library sizes. The emulator runs as its own process (the standalone
/// program, Release build), and so does the app side: the real StarSync program running CLI verbs, and a small
/// child of this bench that only streams every track through <see cref="IPlexClient.GetTracksAsync"/>.
/// Working sets are sampled from /proc every 50 ms; VmHWM (the kernel's peak RSS) gives the exact peak.
/// </summary>
internal static class MemoryBench
{
    private const string Token = "bench-token";

    public static async Task RunAsync(Report report, BenchOptions o)
    {
        var release = FindBuildOutput();
        report.Line("### Peak memory (app side and emulator in separate processes, no latency model)");
        report.Line();
        report.Line($"App side: `{Path.GetRelativePath(RepoRoot(), release.App)}` (the real StarSync program, its own GC settings: {release.AppGc}) running CLI verbs (a host without the web server) and the web app itself; the emulator: `{Path.GetRelativePath(RepoRoot(), release.Emulator)} --tracks N --port 0 --token {Token} --seed 1` (10% of tracks hand-rated). Peak = VmHWM; anon/file = RssAnon/RssFile (heap and JIT vs mapped assemblies) at the highest VmRSS sample; CPU = user+sys of the process.");
        report.Line();
        var rulesFile = Path.Combine(Directory.CreateTempSubdirectory("starsync-bench-rules-").FullName, "five-rules.json");
        await File.WriteAllTextAsync(rulesFile, StarSync.Rules.RuleJson.Write(RulesBench.FiveRules).ToJsonString());
        var rows = new List<IReadOnlyList<string>>();
        foreach (var tracks in o.MemoryTracks)
        {
            var emulator = await StartEmulatorAsync(release, tracks);
            using var emulatorWatch = new Watcher(emulator.Process);
            var env = Environment(emulator.Url, emulator.Title, o);
            var n = Report.N(tracks);

            var stream = await RunChildAsync("dotnet", [typeof(MemoryBench).Assembly.Location, "--child-stream", emulator.Url, Token, emulator.Title], env);
            rows.Add(Row(n, "stream every track through IPlexClient.GetTracksAsync (bench child, full host, workstation GC)", stream));

            var preview = await RunChildAsync("dotnet", [release.App, "rules", "preview", "--file", rulesFile], env);
            rows.Add(Row(n, "`starsync rules preview --file five-rules.json` (the five rules of the rules bench; writes nothing)", preview));

            var dry = await RunChildAsync("dotnet", [release.App, "rate", "--all", "--dry-run"], env);
            rows.Add(Row(n, "`starsync rate --all --dry-run` (every unrated track paged, decided, journaled as planned)", dry));

            var web = await RunWebAppAsync(release.App, env, rulesFile, preview: true);
            rows.Add(Row(n, "web app: one rules preview through `POST /api/v1/rules/preview` (the figure `docker stats` shows)", web));

            var real = await RunChildAsync("dotnet", [release.App, "rate", "--all"], env);
            rows.Add(Row(n, $"`starsync rate --all` (every unrated track rated, WRITE_CONCURRENCY={o.Headline})", real));

            emulatorWatch.Stop();
            rows.Add([n, "emulator process (the runs above)", "-", "-", "-", Report.Mb(emulatorWatch.Peak), "-", "-"]);
            emulator.Process.Kill(entireProcessTree: true);
            await emulator.Process.WaitForExitAsync();
            emulator.Process.Dispose();

            // The web app's rate-all needs unrated tracks again: a fresh emulator.
            var fresh = await StartEmulatorAsync(release, tracks);
            try
            {
                var webRate = await RunWebAppAsync(release.App, Environment(fresh.Url, fresh.Title, o), rulesFile, preview: false);
                rows.Add(Row(n, $"web app: rate all through `POST /api/v1/jobs` (WRITE_CONCURRENCY={o.Headline})", webRate));
            }
            finally
            {
                fresh.Process.Kill(entireProcessTree: true);
                await fresh.Process.WaitForExitAsync();
                fresh.Process.Dispose();
            }
        }

        report.Table(["tracks", "process", "wall time", "CPU", "outcome", "peak working set", "anon at peak", "file at peak"], rows);
        await ParseCostAsync(report);
    }

    private static IReadOnlyList<string> Row(string tracks, string what, ChildResult r) =>
        [tracks, what, Report.Secs(r.Elapsed), Report.Secs(r.Cpu), r.Detail, Report.Mb(r.PeakWorkingSet), Report.Mb(r.AnonAtPeak), Report.Mb(r.FileAtPeak)];

    private static Dictionary<string, string> Environment(string url, string title, BenchOptions o) => new()
    {
        ["PLEX_URL"] = url,
        ["PLEX_TOKEN"] = Token,
        ["LIBRARY_NAME"] = title,
        ["RATING_STYLE"] = "5stars",
        ["TARGET_RATING"] = "3",
        ["WRITE_CONCURRENCY"] = Str(o.Headline),
    };

    private sealed record Emulator(Process Process, string Url, string Title);

    private static async Task<Emulator> StartEmulatorAsync((string App, string Emulator, string AppGc) release, int tracks)
    {
        var process = StartProcess("dotnet", [release.Emulator, "--tracks", Str(tracks), "--port", "0", "--token", Token, "--seed", "1"], null);
        var (url, title) = await ReadEmulatorBannerAsync(process);
        return new Emulator(process, url, title);
    }

    /// <summary>
    /// The web app as users run it (dotnet StarSync.dll, its own port): one rules preview or one rate-all through the
    /// API, then stopped. Its peak working set is what <c>docker stats</c> would show during that work.
    /// </summary>
    private static async Task<ChildResult> RunWebAppAsync(string app, Dictionary<string, string> env, string rulesFile, bool preview)
    {
        var dir = Directory.CreateTempSubdirectory("starsync-bench-web-").FullName;
        var port = ProcessWritePath.FreePort();

        var all = ProcessWritePath.WebAppEnvironment(dir, port, env);
        var started = Stopwatch.GetTimestamp();
        using var child = StartProcess("dotnet", [app], all);
        using var watch = new Watcher(child);
        _ = child.StandardOutput.ReadToEndAsync();
        _ = child.StandardError.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", ProcessWritePath.Key);
        try
        {
            await ProcessWritePath.WaitForHealthAsync(http, child);

            string detail;
            if (preview)
            {
                var rules = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(rulesFile));
                using var body = new StringContent(new System.Text.Json.Nodes.JsonObject { ["rules"] = rules }.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri("/api/v1/rules/preview", UriKind.Relative), body);
                var text = await response.Content.ReadAsStringAsync();
                response.EnsureSuccessStatusCode();
                var json = System.Text.Json.JsonDocument.Parse(text).RootElement;
                detail = $"previewed {json.GetProperty("libraries")[0].GetProperty("unrated").GetInt32()} unrated tracks in {json.GetProperty("elapsedMs").GetInt64()} ms";
            }
            else
            {
                using var body = new StringContent("""{"mode":"all","dryRun":false}""", System.Text.Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri("/api/v1/jobs", UriKind.Relative), body);
                var text = await response.Content.ReadAsStringAsync();
                response.EnsureSuccessStatusCode();
                var id = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
                while (true)
                {
                    await Task.Delay(500);
                    var job = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/v1/jobs/{id}", UriKind.Relative))).RootElement;
                    var status = job.GetProperty("status").GetString()?.ToLowerInvariant();
                    if (status is "succeeded" or "failed" or "cancelled")
                    {
                        var c = job.GetProperty("counts");
                        detail = $"Job #{id} {status}: rated {c.GetProperty("rated").GetInt32()}, failed {c.GetProperty("failed").GetInt32()}";
                        break;
                    }
                }
            }

            var cpu = watch.Cpu;
            watch.Stop();
            return new ChildResult(Stopwatch.GetElapsedTime(started), detail, watch.Peak, watch.AnonAtPeak, watch.FileAtPeak, cpu);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }

            await child.WaitForExitAsync();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A temp dir left behind is harmless.
            }
        }
    }

    /// <summary>
    /// CPU and allocations of reading Plex listings: the same 1,000-track pages of the emulator (100,000 tracks, fetched
    /// once into memory) parsed by the source-generated DTO deserializer over a stream (how the client read them before)
    /// and by <see cref="PlexListingReader"/> over the pooled body (how it reads them now), alternating, 3 rounds each.
    /// One thread, so CPU time ≈ wall time.
    /// </summary>
    public static async Task ParseCostAsync(Report report)
    {
        const int Tracks = 100_000;
        await using var plex = await Scenarios.StartEmulatorAsync(Tracks, 0.1, latency: false);
        var section = plex.Library.Sections.First(s => s.IsMusic).Key;
        using var http = new HttpClient { BaseAddress = plex.BaseUri };
        http.DefaultRequestHeaders.Add("X-Plex-Token", plex.Token);
        http.DefaultRequestHeaders.Add("Accept", "application/json");
        var pages = new List<byte[]>();
        for (var start = 0; start < Tracks; start += 1000)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/library/sections/{section}/all?type=10");
            request.Headers.Add("X-Plex-Container-Start", Str(start));
            request.Headers.Add("X-Plex-Container-Size", "1000");
            using var response = await http.SendAsync(request);
            pages.Add(await response.Content.ReadAsByteArrayAsync());
        }

        var typeInfo = PlexJsonContext.Default.PlexResponsePlexMetadataContainer;
        var ways = new (string Name, Func<byte[], Task<int>> Parse)[]
        {
            ("DTO deserializer over a stream (before)", async page =>
            {
                using var stream = new MemoryStream(page, writable: false);
                var body = await System.Text.Json.JsonSerializer.DeserializeAsync(stream, typeInfo);
                return body!.MediaContainer!.Metadata!.Count;
            }),
            ("PlexListingReader over the body (now)", page => Task.FromResult(PlexListingReader.Read(new System.Buffers.ReadOnlySequence<byte>(page))!.Metadata!.Count)),
        };
        var cpu = ways.Select(_ => new List<double>()).ToArray();
        var allocated = new long[ways.Length];
        for (var round = 0; round < 4; round++)
        {
            for (var w = 0; w < ways.Length; w++)
            {
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                var bytes = GC.GetTotalAllocatedBytes(precise: true);
                var items = 0;
                foreach (var page in pages)
                {
                    items += await ways[w].Parse(page);
                }

                if (items != Tracks)
                {
                    throw new InvalidOperationException($"{ways[w].Name} read {items} tracks, not {Tracks}.");
                }

                if (round > 0)
                {
                    // Round 0 warms the JIT up for both.
                    cpu[w].Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds);
                    allocated[w] = GC.GetTotalAllocatedBytes(precise: true) - bytes;
                }
            }
        }

        var megabytes = pages.Sum(p => (long)p.Length) / 1024.0 / 1024.0;
        report.Line();
        report.Line($"Reading Plex listings: {Report.N(Tracks)} tracks in {pages.Count} pages of 1,000 ({Report.F(megabytes, "0")} MB of the emulator's JSON), parsed in this process; median of 3 rounds after a warm-up, alternating:");
        report.Line();
        var medians = cpu.Select(c => c.Order().ElementAt(c.Count / 2)).ToArray();
        report.Table(["parser", "CPU per 100k tracks", "allocated per 100k tracks", "CPU relative to before"],
            ways.Select((w, i) => (IReadOnlyList<string>)[w.Name, Report.F(medians[i], "0.00") + " s", Report.Mb(allocated[i]), Report.F(medians[i] / medians[0], "0.00") + "x"]).ToList());
    }

    /// <summary>Child mode: stream all tracks of the library, print the count and this process's peak working set.</summary>
    public static async Task<int> StreamChildAsync(string url, string token, string title)
    {
        await using var app = await AppSide.StartAsync(new Uri(url), token, title, 4);
        var plex = app.App.Services.GetRequiredService<IPlexClient>();
        var library = (await plex.GetLibrariesAsync(CancellationToken.None)).First(l => l.Title == title);
        long count = 0;
        long unrated = 0;
        await foreach (var track in plex.GetTracksAsync(library.Key, new TrackQuery(TrackFilter.All), CancellationToken.None))
        {
            count++;
            if (track.UserRating is null)
            {
                unrated++;
            }
        }

        Console.WriteLine($"{count} tracks streamed, {unrated} unrated");
        return 0;
    }

    internal sealed record ChildResult(TimeSpan Elapsed, string Detail, long PeakWorkingSet, long AnonAtPeak = 0, long FileAtPeak = 0, TimeSpan Cpu = default);

    internal static async Task<ChildResult> RunChildAsync(string file, string[] args, Dictionary<string, string> env)
    {
        var dir = Directory.CreateTempSubdirectory("starsync-bench-mem-").FullName;
        try
        {
            var all = new Dictionary<string, string>(env)
            {
                ["CONFIG_DIR"] = Path.Combine(dir, "config"),
                ["LOGS_DIR"] = Path.Combine(dir, "logs"),
                ["DOTENV_PATH"] = Path.Combine(dir, "none.env"),
                ["APP_USERNAME"] = "admin",
                ["APP_PASSWORD"] = "bench-password-not-used",
            };
            var started = Stopwatch.GetTimestamp();
            using var child = StartProcess(file, args, all);
            using var watch = new Watcher(child);
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            await child.WaitForExitAsync();
            var cpu = watch.Cpu;
            watch.Stop();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var output = await stdout;
            if (child.ExitCode != 0)
            {
                throw new InvalidOperationException($"{string.Join(' ', args)} exited {child.ExitCode}: {await stderr}\n{output}");
            }

            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .LastOrDefault(l => !l.StartsWith("info:", StringComparison.Ordinal) && !l.StartsWith("warn:", StringComparison.Ordinal) && !l.Contains('%', StringComparison.Ordinal)) ?? "";
            return new ChildResult(elapsed, last.Replace("|", "/", StringComparison.Ordinal), watch.Peak, watch.AnonAtPeak, watch.FileAtPeak, cpu);
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A temp dir left behind is harmless.
            }
        }
    }

    internal static Process StartProcess(string file, string[] args, Dictionary<string, string>? env)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? [])
        {
            info.Environment[k] = v;
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
    }

    internal static async Task<(string Url, string Title)> ReadEmulatorBannerAsync(Process emulator)
    {
        string? url = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await emulator.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            const string Listening = "listening on ";
            const string Sections = "Sections: ";
            var at = line.IndexOf(Listening, StringComparison.Ordinal);
            if (at >= 0)
            {
                url = line[(at + Listening.Length)..].Trim();
            }
            else if (line.StartsWith(Sections, StringComparison.Ordinal) && url is not null)
            {
                // "Sections: 1=Music (1000 tracks), 2=Movies (0 tracks)"; the first is the music library.
                var first = line[Sections.Length..].Split(", ")[0];
                var title = first[(first.IndexOf('=', StringComparison.Ordinal) + 1)..first.LastIndexOf(" (", StringComparison.Ordinal)];
                _ = emulator.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return (url, title);
            }
        }

        throw new InvalidOperationException("The emulator did not print its address: " + await emulator.StandardError.ReadToEndAsync(timeout.Token));
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StarSync.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from inside the StarSync repository.");
    }

    /// <summary>The app and emulator built beside this bench (same configuration: run the bench with -c Release).</summary>
    internal static (string App, string Emulator, string AppGc) FindBuildOutput()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Release";
        var root = RepoRoot();
        var app = Path.Combine(root, "src", "StarSync", "bin", configuration, "net10.0", "StarSync.dll");
        var emulator = Path.Combine(root, "src", "StarSync.PlexEmulator", "bin", configuration, "net10.0", "StarSync.PlexEmulator.dll");
        if (!File.Exists(app) || !File.Exists(emulator))
        {
            throw new InvalidOperationException($"Build first: {app} or {emulator} is missing.");
        }

        var runtimeConfig = File.ReadAllText(Path.ChangeExtension(app, ".runtimeconfig.json"));
        var gc = runtimeConfig.Contains("\"System.GC.Server\": true", StringComparison.Ordinal) ? "server GC" : "workstation GC";
        if (runtimeConfig.Contains("\"System.GC.Concurrent\": false", StringComparison.Ordinal))
        {
            gc += ", non-concurrent";
        }

        return (app, emulator, gc);
    }

    /// <summary>
    /// Samples a process every 50 ms: VmHWM (the kernel's lifetime peak RSS), RssAnon/RssFile at the highest VmRSS seen,
    /// and user+sys CPU from /proc/&lt;pid&gt;/stat (the last sample before it exits).
    /// </summary>
    private sealed class Watcher : IDisposable
    {
        private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
        private readonly Process _process;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly Lock _gate = new();
        private long _peak;
        private long _rss;
        private long _anon;
        private long _file;
        private TimeSpan _cpu;

        public Watcher(Process process)
        {
            _process = process;
            _loop = Task.Run(LoopAsync);
        }

        public long Peak
        {
            get
            {
                lock (_gate)
                {
                    return _peak;
                }
            }
        }

        public long AnonAtPeak
        {
            get
            {
                lock (_gate)
                {
                    return _anon;
                }
            }
        }

        public long FileAtPeak
        {
            get
            {
                lock (_gate)
                {
                    return _file;
                }
            }
        }

        public TimeSpan Cpu
        {
            get
            {
                lock (_gate)
                {
                    return _cpu;
                }
            }
        }

        public void Stop()
        {
            _stop.Cancel();
            try
            {
                _loop.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }
        }

        public void Dispose()
        {
            Stop();
            _stop.Dispose();
        }

        private async Task LoopAsync()
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            do
            {
                Sample();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }

        private void Sample()
        {
            try
            {
                var status = $"/proc/{_process.Id}/status";
                if (!File.Exists(status))
                {
                    if (!_process.HasExited)
                    {
                        _process.Refresh();
                        lock (_gate)
                        {
                            _peak = Math.Max(_peak, _process.PeakWorkingSet64);
                        }
                    }

                    return;
                }

                var fields = File.ReadLines(status)
                    .Select(l => l.Split(':', 2))
                    .Where(p => p.Length == 2 && p[0] is "VmHWM" or "VmRSS" or "RssAnon" or "RssFile")
                    .ToDictionary(p => p[0], p => long.Parse(p[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
                var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
                // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
                var after = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(after[11], CultureInfo.InvariantCulture) + long.Parse(after[12], CultureInfo.InvariantCulture);
                lock (_gate)
                {
                    _peak = Math.Max(_peak, fields.GetValueOrDefault("VmHWM"));
                    _cpu = TimeSpan.FromSeconds(ticks / TicksPerSecond);
                    if (fields.GetValueOrDefault("VmRSS") > _rss)
                    {
                        _rss = fields["VmRSS"];
                        _anon = fields.GetValueOrDefault("RssAnon");
                        _file = fields.GetValueOrDefault("RssFile");
                    }
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The process ended between the check and the read; the earlier samples stand.
            }
        }
    }
}
