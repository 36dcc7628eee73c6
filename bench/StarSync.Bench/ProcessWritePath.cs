using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace StarSync.Bench;

/// <summary>
/// Issue 11's write path the way it is deployed: the StarSync program (the web app, <c>dotnet StarSync.dll</c>, its own
/// runtime settings) and the emulator program (<c>dotnet StarSync.PlexEmulator.dll</c>) as two processes, the jobs
/// started through <c>POST /api/v1/jobs</c>. The in-process rows of <see cref="WritePathBench"/> share one process, so
/// StarSync's GC pauses also stop the modelled Plex writer and both sides share one thread pool; here each has its own,
/// as with a real Plex. One web app does several jobs in a row, each on a library of its own (Settings → libraries
/// through <c>PUT /api/v1/settings</c>), because a job's tracks stay rated; the first job of the process pays the JIT
/// and is shown apart. Between jobs the bench waits until the app is idle (its word indexer runs after each job).
/// </summary>
internal static class ProcessWritePath
{
    private const string Token = "bench-token";
    /// <summary>The API key of the web app children (<see cref="WebAppEnvironment"/>).</summary>
    internal const string Key = "bench-api-key-0123456789";

    /// <summary>Jobs per batch row: the first (a new process) and then the measured ones.</summary>
    private const int BatchJobs = 4;

    /// <summary>
    /// Jobs per single-mode row (10k tracks each): the first (a new process), three while the JIT still tiers up (a
    /// 10k-track job took 2.44, 2.35, 2.24 s in jobs 2-4 of one web app, and about 2.1 s from then on), and
    /// <see cref="Measured"/> measured ones: a server that has been up a while, as users run it.
    /// </summary>
    private const int SingleJobs = 7;

    /// <summary>The last jobs of a row, whose median is the row's figure.</summary>
    private const int Measured = 3;

    public static async Task RunAsync(Report report, int batchTracks, int singleTracks, bool batch = true)
    {
        var release = MemoryBench.FindBuildOutput();
        report.Line($"Out of process: the StarSync web app (`dotnet StarSync.dll`, {release.AppGc}, jobs through `POST /api/v1/jobs`) against the emulator program (`dotnet StarSync.PlexEmulator.dll --latency-ms 2 --write-latency-ms 3 …`), each a process of its own on the same {Environment.ProcessorCount} cores. " +
            $"{BatchJobs} jobs per batch row and {SingleJobs} per single-mode row in one web app, each on a library of its own; the first is the new process's first job (JIT), the last {Measured} are measured (median, then each), those between (still tiering up) are listed after the first. " +
            "CPU = user+sys of each process during the job. Writer busy is not known out of process; the limit is the same formula as above.");
        report.Line();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var perItem in batch ? new[] { 0.02, 0.2 } : [])
        {
            var limit = WritePathBench.Limit(batchTracks, StarSync.Configuration.StarSyncSettings.DefaultWriteBatchSize, perItem);
            rows.Add(await RowAsync(release, $"batch (default), {Report.F(perItem, "0.00")} ms per item, single writer", batchTracks, BatchJobs, limit,
                ["--serialize-writes", "--write-item-latency-ms", perItem.ToString(CultureInfo.InvariantCulture)], "auto"));
        }

        rows.Add(await RowAsync(release, "single mode, parallel writes (2 ms + 3 ms, no writer lock)", singleTracks, SingleJobs,
            WritePathBench.ParallelLimit(singleTracks), [], "single"));
        rows.Add(await BareClientAsync(release, singleTracks));
        report.Table(["row", "tracks per job", "first job (new process); then the jobs still tiering up", $"last {Measured} jobs: median (each)", "model limit → ratio (median)", "CPU per job, app / emulator (median)", "CPU / cores → ratio"], rows);
        report.Line();
    }

    private static async Task<IReadOnlyList<string>> RowAsync((string App, string Emulator, string AppGc) release, string name, int tracks, int jobs, TimeSpan limit, string[] emulatorArgs, string writeMode)
    {
        using var emulator = StartEmulator(release, tracks * jobs, jobs, emulatorArgs);
        var dir = Directory.CreateTempSubdirectory("starsync-bench-process-").FullName;
        Process? app = null;
        try
        {
            var (url, first) = await MemoryBench.ReadEmulatorBannerAsync(emulator);
            _ = emulator.StandardError.ReadToEndAsync();
            var port = FreePort();
            app = MemoryBench.StartProcess("dotnet", [release.App], WebAppEnvironment(dir, port, new Dictionary<string, string>
            {
                ["PLEX_URL"] = url,
                ["PLEX_TOKEN"] = Token,
                ["LIBRARY_NAME"] = first,
                ["RATING_STYLE"] = "5stars",
                ["TARGET_RATING"] = "3",
                ["WRITE_MODE"] = writeMode,
            }));
            _ = app.StandardOutput.ReadToEndAsync();
            _ = app.StandardError.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(10) };
            http.DefaultRequestHeaders.Add("X-Api-Key", Key);
            await WaitForHealthAsync(http, app);
            var libraries = await LibrariesAsync(http);
            if (libraries.Count < jobs)
            {
                throw new InvalidOperationException($"The emulator has {libraries.Count} music libraries, {jobs} were asked for.");
            }

            var times = new List<TimeSpan>();
            var cpus = new List<(TimeSpan App, TimeSpan Emulator)>();
            for (var job = 0; job < jobs; job++)
            {
                using (var body = Json($$"""{"libraries":["{{libraries[job]}}"]}"""))
                using (var put = await http.PutAsync(new Uri("/api/v1/settings", UriKind.Relative), body))
                {
                    put.EnsureSuccessStatusCode();
                }

                await WaitIdleAsync(app);
                var (appCpu, emulatorCpu) = (Cpu(app), Cpu(emulator));
                times.Add(await RunJobAsync(http, tracks));
                cpus.Add((Cpu(app) - appCpu, Cpu(emulator) - emulatorCpu));
            }

            return ResultRow(name, tracks, limit, times, cpus);
        }
        finally
        {
            foreach (var process in new[] { app, emulator })
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }

            app?.Dispose();
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
    /// What any client reaches on this machine in the deployed shape: the single-mode row's requests (one
    /// <c>PUT /:/rate</c> per track, 32 at a time) from a bare <see cref="HttpClient"/> in the bench process against the
    /// emulator program on the parallel model, with nothing else (no StarSync, no listing in the timing, no journal).
    /// <see cref="SingleJobs"/> rounds over the same tracks, shown as the single-mode row's jobs are.
    /// </summary>
    private static async Task<IReadOnlyList<string>> BareClientAsync((string App, string Emulator, string AppGc) release, int tracks)
    {
        using var emulator = StartEmulator(release, tracks, 1, []);
        try
        {
            var (url, _) = await MemoryBench.ReadEmulatorBannerAsync(emulator);
            _ = emulator.StandardError.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            http.DefaultRequestHeaders.Add("X-Plex-Token", Token);
            http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
            var keys = await TrackKeysAsync(http);
            var times = new List<TimeSpan>();
            var cpus = new List<(TimeSpan App, TimeSpan Emulator)>();
            for (var round = 0; round < SingleJobs; round++)
            {
                var (client, server) = (Process.GetCurrentProcess().TotalProcessorTime, Cpu(emulator));
                var started = Stopwatch.GetTimestamp();
                await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = StarSync.Rating.WriteLimiter.MaxLimit },
                    (key, ct) => WritePathBench.BarePutAsync(http, key, ct));
                times.Add(Stopwatch.GetElapsedTime(started));
                cpus.Add((Process.GetCurrentProcess().TotalProcessorTime - client, Cpu(emulator) - server));
            }

            return ResultRow($"the same requests from a bare `HttpClient` ({StarSync.Rating.WriteLimiter.MaxLimit} at a time, no StarSync): what any client reaches here; CPU is the bench process's / the emulator's",
                keys.Count, WritePathBench.ParallelLimit(keys.Count), times, cpus);
        }
        finally
        {
            if (!emulator.HasExited)
            {
                emulator.Kill(entireProcessTree: true);
                await emulator.WaitForExitAsync();
            }
        }
    }

    /// <summary>The emulator program with the bench's token and seed, 2 ms per request and 3 ms per rating write, no track rated.</summary>
    private static Process StartEmulator((string App, string Emulator, string AppGc) release, int tracks, int libraries, string[] extraArgs) =>
        MemoryBench.StartProcess("dotnet",
            [release.Emulator, "--tracks", Str(tracks), "--libraries", Str(libraries), "--rated-share", "0", "--port", "0", "--token", Token, "--seed", "1",
             "--latency-ms", "2", "--write-latency-ms", "3", .. extraArgs], null);

    /// <summary>A table row: the first round and those still tiering up apart, the median of the last <see cref="Measured"/> (and each), against the limit; CPU of the median round's two sides.</summary>
    private static IReadOnlyList<string> ResultRow(string name, int tracks, TimeSpan limit, List<TimeSpan> times, List<(TimeSpan App, TimeSpan Emulator)> cpus)
    {
        var skip = Math.Max(1, times.Count - Measured);
        var measured = times.Skip(skip).ToList();
        var median = Median(measured);
        var cpuMedian = cpus.Skip(skip).OrderBy(c => c.App + c.Emulator).ElementAt(measured.Count / 2);
        var floor = (cpuMedian.App + cpuMedian.Emulator) / Environment.ProcessorCount;
        var warming = times.Skip(1).Take(skip - 1).ToList();
        return [name, Report.N(tracks), Report.Secs(times[0]) + (warming.Count == 0 ? "" : $"; then {string.Join(", ", warming.Select(Report.Secs))}"),
            $"{Report.Secs(median)} ({string.Join(", ", measured.Select(Report.Secs))})",
            $"{Report.Secs(limit)} → {Report.F(median / limit, "0.00")}x",
            $"{Report.Secs(cpuMedian.App)} / {Report.Secs(cpuMedian.Emulator)}",
            $"{Report.Secs(floor)} → {Report.F(floor / limit, "0.00")}x"];
    }

    /// <summary>Every track of the emulator's first music library (section 1), by its rating key.</summary>
    private static async Task<List<string>> TrackKeysAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/library/sections/1/all?type=10", UriKind.Relative)));
        return [.. doc.RootElement.GetProperty("MediaContainer").GetProperty("Metadata").EnumerateArray()
            .Select(track => track.GetProperty("ratingKey").GetString()!)];
    }

    /// <summary>Starts a rate-all job and waits for it; returns the job's own time (started → finished, as the app records it).</summary>
    private static async Task<TimeSpan> RunJobAsync(HttpClient http, int tracks)
    {
        using var body = Json("""{"mode":"all","dryRun":false}""");
        using var response = await http.PostAsync(new Uri("/api/v1/jobs", UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        response.EnsureSuccessStatusCode();
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (true)
        {
            await Task.Delay(50, deadline.Token);
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/v1/jobs/{id}", UriKind.Relative), deadline.Token));
            var job = doc.RootElement;
            var status = job.GetProperty("status").GetString();
            if (status is "queued" or "running")
            {
                continue;
            }

            var rated = job.GetProperty("counts").GetProperty("rated").GetInt32();
            if (status != "succeeded" || rated != tracks)
            {
                throw new InvalidOperationException($"Job #{id} ended {status} with {rated} of {tracks} rated.");
            }

            return job.GetProperty("finishedAt").GetDateTimeOffset() - job.GetProperty("startedAt").GetDateTimeOffset();
        }
    }

    private static async Task<List<string>> LibrariesAsync(HttpClient http)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/libraries", UriKind.Relative)));
        var root = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("libraries");
        return root.EnumerateArray().Select(l => l.GetProperty("title").GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The environment of a web app child: <paramref name="settings"/> (Plex and rating settings) plus a throw-away config
    /// directory, the API key <see cref="Key"/>, the port, and no schedule or notification listener.
    /// </summary>
    internal static Dictionary<string, string> WebAppEnvironment(string dir, int port, IReadOnlyDictionary<string, string> settings) => new(settings)
    {
        ["CONFIG_DIR"] = Path.Combine(dir, "config"),
        ["LOGS_DIR"] = Path.Combine(dir, "logs"),
        ["DOTENV_PATH"] = Path.Combine(dir, "none.env"),
        ["APP_USERNAME"] = "admin",
        ["APP_PASSWORD"] = "bench-password-not-used",
        ["API_KEY"] = Key,
        ["PORT"] = Str(port),
        ["BATCH_INTERVAL_MINUTES"] = "0",
        ["PLEX_NOTIFICATIONS"] = "false",
    };

    /// <summary>Waits (at most 2 minutes) until a web app child answers /health.</summary>
    internal static async Task WaitForHealthAsync(HttpClient http, Process app)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            try
            {
                using var health = await http.GetAsync(new Uri("/health", UriKind.Relative), deadline.Token);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (!app.HasExited)
            {
                // Not listening yet.
            }

            await Task.Delay(200, deadline.Token);
        }
    }

    /// <summary>Waits (at most a minute) until the app has used under 3% of a core for 500 ms: the previous job's word indexing is done.</summary>
    private static async Task WaitIdleAsync(Process app)
    {
        var deadline = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var before = Cpu(app);
            await Task.Delay(500);
            if (Cpu(app) - before < TimeSpan.FromMilliseconds(15))
            {
                return;
            }
        }
    }

    private static TimeSpan Cpu(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static TimeSpan Median(List<TimeSpan> values) => values.Order().ElementAt(values.Count / 2);

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>A loopback port free at the moment of asking (for a child process to listen on).</summary>
    internal static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
