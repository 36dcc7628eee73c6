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
        report.Line($"App side: `{Path.GetRelativePath(RepoRoot(), release.App)}` (the real StarSync program, its own GC settings: {release.AppGc}) running CLI verbs; the emulator: `{Path.GetRelativePath(RepoRoot(), release.Emulator)} --tracks N --port 0 --token {Token} --seed 1` (10% of tracks hand-rated).");
        report.Line();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var tracks in o.MemoryTracks)
        {
            using var emulator = StartProcess("dotnet", [release.Emulator, "--tracks", Str(tracks), "--port", "0", "--token", Token, "--seed", "1"], null);
            var (url, title) = await ReadEmulatorBannerAsync(emulator);
            using var emulatorWatch = new Watcher(emulator);
            var env = new Dictionary<string, string>
            {
                ["PLEX_URL"] = url,
                ["PLEX_TOKEN"] = Token,
                ["LIBRARY_NAME"] = title,
                ["RATING_STYLE"] = "5stars",
                ["TARGET_RATING"] = "3",
                ["WRITE_CONCURRENCY"] = Str(o.Headline),
            };

            var stream = await RunChildAsync("dotnet", [typeof(MemoryBench).Assembly.Location, "--child-stream", url, Token, title], env);
            rows.Add([Report.N(tracks), "stream every track through IPlexClient.GetTracksAsync (bench child, workstation GC)", Report.Secs(stream.Elapsed), stream.Detail, Report.Mb(stream.PeakWorkingSet)]);

            var dry = await RunChildAsync("dotnet", [release.App, "rate", "--all", "--dry-run"], env);
            rows.Add([Report.N(tracks), "`starsync rate --all --dry-run` (every unrated track paged, decided, journaled as planned)", Report.Secs(dry.Elapsed), dry.Detail, Report.Mb(dry.PeakWorkingSet)]);

            var real = await RunChildAsync("dotnet", [release.App, "rate", "--all"], env);
            rows.Add([Report.N(tracks), $"`starsync rate --all` (every unrated track rated, WRITE_CONCURRENCY={o.Headline})", Report.Secs(real.Elapsed), real.Detail, Report.Mb(real.PeakWorkingSet)]);

            emulatorWatch.Stop();
            rows.Add([Report.N(tracks), "emulator process (whole run above)", "-", "-", Report.Mb(emulatorWatch.Peak)]);
            emulator.Kill(entireProcessTree: true);
            await emulator.WaitForExitAsync();
        }

        report.Table(["tracks", "process", "wall time", "outcome", "peak working set"], rows);
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

    internal sealed record ChildResult(TimeSpan Elapsed, string Detail, long PeakWorkingSet);

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
            watch.Stop();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var output = await stdout;
            if (child.ExitCode != 0)
            {
                throw new InvalidOperationException($"{string.Join(' ', args)} exited {child.ExitCode}: {await stderr}\n{output}");
            }

            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .LastOrDefault(l => !l.StartsWith("info:", StringComparison.Ordinal) && !l.StartsWith("warn:", StringComparison.Ordinal) && !l.Contains('%', StringComparison.Ordinal)) ?? "";
            return new ChildResult(elapsed, last.Replace("|", "/", StringComparison.Ordinal), watch.Peak);
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

    /// <summary>Samples a process's working set every 50 ms; the peak also reads VmHWM, the kernel's lifetime maximum.</summary>
    private sealed class Watcher : IDisposable
    {
        private readonly Process _process;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private long _peak;

        public Watcher(Process process)
        {
            _process = process;
            _loop = Task.Run(LoopAsync);
        }

        public long Peak => Interlocked.Read(ref _peak);

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
            long value = 0;
            try
            {
                var status = $"/proc/{_process.Id}/status";
                if (File.Exists(status))
                {
                    var hwm = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                    if (hwm is not null)
                    {
                        value = long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                    }
                }
                else if (!_process.HasExited)
                {
                    _process.Refresh();
                    value = _process.PeakWorkingSet64;
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // The process ended between the check and the read; the earlier samples stand.
            }

            if (value > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, value);
            }
        }
    }
}
