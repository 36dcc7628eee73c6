using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using StarSync.PlexEmulator;
using Xunit.Abstractions;

namespace StarSync.Tests.Crash;

/// <summary>
/// Kills the real app (CLI and web app, as child processes against the emulator) at exact writes, restarts it at
/// once, undoes everything, and compares every track with its rating before StarSync touched it. The emulator calls
/// back as each write arrives, so the kill points are deterministic: mid-page, at a page boundary, during an undo.
/// </summary>
[Trait("Category", "Crash")]
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    /// <summary>Page size of the children: kill points are chosen relative to it.</summary>
    private const int PageSize = 100;

    [Fact]
    public async Task Cli_killed_mid_page_then_restarted_undo_all_restores_every_track()
    {
        await using var scene = await CrashScene.StartAsync(output);

        var killed = await scene.RunCliKilledAtWriteAsync(250, "rate", "--all"); // mid-page 3
        var undo = await scene.RunCliAsync("undo", "--all");

        Assert.Equal(0, undo);
        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        var job = scene.Job(killed.JobId);
        Assert.Equal("Failed", job.Status);
        Assert.StartsWith("Interrupted", job.Error, StringComparison.Ordinal);
        // History tells the truth: the killed job is credited with what its journal rows show reached Plex.
        Assert.Equal(scene.AppliedRows(killed.JobId), job.Rated);
        Assert.InRange(job.Rated, 200, 250 + (2 * 4));
    }

    [Fact]
    public async Task Cli_killed_at_a_page_boundary_then_web_app_started_at_once_undoes_all()
    {
        await using var scene = await CrashScene.StartAsync(output);

        await scene.RunCliKilledAtWriteAsync(2 * PageSize, "rate", "--all"); // the last write of page 2
        await using var web = await scene.StartWebAsync();
        var undo = await web.RunJobAsync("undo-all", "{}");

        Assert.Equal("succeeded", undo.GetProperty("status").GetString());
        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        Assert.Equal(0, scene.UnfinishedJobs());
    }

    [Fact]
    public async Task Web_app_killed_mid_job_then_restarted_at_once_undoes_all()
    {
        await using var scene = await CrashScene.StartAsync(output);
        long jobId;
        await using (var web = await scene.StartWebAsync())
        {
            scene.KillAtWrite(170, web.Process);
            jobId = (await web.PostAsync("jobs", """{"mode":"all"}""")).GetProperty("id").GetInt64();
            await web.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
            scene.PendingAtKill = scene.PendingRows();
        }

        await using (var web = await scene.StartWebAsync())
        {
            var undo = await web.RunJobAsync("undo-all", "{}");
            Assert.Equal("succeeded", undo.GetProperty("status").GetString());
        }

        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        Assert.Equal("Failed", scene.Job(jobId).Status);
        scene.Report("web app killed at write 170");
    }

    [Fact]
    public async Task Undo_killed_midway_then_run_again_restores_every_track_without_false_skips()
    {
        await using var scene = await CrashScene.StartAsync(output);
        Assert.Equal(0, await scene.RunCliAsync("rate", "--all"));

        await scene.RunCliKilledAtWriteAsync(150, "undo", "--all");
        var again = await scene.RunCliAsync("undo", "--all");

        Assert.Equal(0, again);
        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        Assert.Equal(0, scene.Scalar("SELECT COUNT(*) FROM changes WHERE state = 'Skipped'"));
    }

    /// <summary>One emulated Plex, one config directory, and the children that share them.</summary>
    private sealed class CrashScene : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;
        private readonly string _dir;
        private readonly Dictionary<string, double?> _original;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _writes;
        private int _killAt = int.MaxValue;
        private ChildProcess? _victim;

        private CrashScene(PlexEmulatorServer plex, string dir, ITestOutputHelper output)
        {
            Plex = plex;
            _dir = dir;
            _output = output;
            _original = Ratings();
            plex.Options.BeforeRatingWrite = OnWriteAsync;
        }

        public PlexEmulatorServer Plex { get; }

        public int PendingAtKill { get; set; }

        private string MusicKey => Plex.Library.Sections.First(s => s.Type == "artist").Key;

        private string JournalFile => Path.Combine(_dir, "config", "starsync.db");

        public static async Task<CrashScene> StartAsync(ITestOutputHelper output)
        {
            var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 1200, Seed = 11, HandRatedShare = 0.25 });
            return new CrashScene(plex, Directory.CreateTempSubdirectory("starsync-crash-").FullName, output);
        }

        public Dictionary<string, string> Environment(int? port = null) => new()
        {
            ["PLEX_URL"] = Plex.BaseUri.ToString(),
            ["PLEX_TOKEN"] = Plex.Token,
            ["CONFIG_DIR"] = Path.Combine(_dir, "config"),
            ["LOGS_DIR"] = Path.Combine(_dir, "logs"),
            ["DOTENV_PATH"] = Path.Combine(_dir, "none.env"),
            ["LIBRARY_NAME"] = Plex.Library.Sections.First(s => s.Type == "artist").Title,
            ["RATING_STYLE"] = "5stars",
            ["TARGET_RATING"] = "3",
            ["PLEX_PAGE_SIZE"] = PageSize.ToString(CultureInfo.InvariantCulture),
            ["WRITE_CONCURRENCY"] = "4",
            ["BATCH_INTERVAL_MINUTES"] = "0",
            ["APP_USERNAME"] = "admin",
            ["APP_PASSWORD"] = "crash-test-password",
            ["API_KEY"] = WebChild.ApiKey,
            ["PORT"] = (port ?? 5454).ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };

        /// <summary>Kills <paramref name="victim"/> when the <paramref name="nth"/> rating write (counted from now) reaches Plex.</summary>
        public void KillAtWrite(int nth, ChildProcess victim)
        {
            Volatile.Write(ref _victim, victim);
            Interlocked.Exchange(ref _writes, 0);
            Volatile.Write(ref _killAt, nth);
        }

        public async Task<(long JobId, int Pending)> RunCliKilledAtWriteAsync(int nth, params string[] args)
        {
            var started = _clock.Elapsed;
            using var child = ChildProcess.Start(Environment(), _dir, args);
            KillAtWrite(nth, child);
            var code = await child.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(Volatile.Read(ref _killAt) == int.MaxValue, $"the run ended (exit {code}) before write {nth}:\n{child.Output}");
            PendingAtKill = PendingRows();
            var jobId = Scalar("SELECT MAX(id) FROM jobs");
            _output.WriteLine($"{string.Join(' ', args)}: killed at write {nth} after {(_clock.Elapsed - started).TotalSeconds:0.0} s; {PendingAtKill} rows pending, job #{jobId} left '{Job(jobId).Status}' with rated={Job(jobId).Rated}");
            return (jobId, PendingAtKill);
        }

        public async Task<int> RunCliAsync(params string[] args)
        {
            var started = _clock.Elapsed;
            using var child = ChildProcess.Start(Environment(), _dir, args);
            var code = await child.WaitForExitAsync(TimeSpan.FromSeconds(90));
            _output.WriteLine($"{string.Join(' ', args)}: exit {code} after {(_clock.Elapsed - started).TotalSeconds:0.0} s");
            Assert.True(code == 0, child.Output);
            return code;
        }

        public async Task<WebChild> StartWebAsync()
        {
            var port = ChildProcess.FreePort();
            var child = ChildProcess.Start(Environment(port), _dir);
            var web = new WebChild(child, port, _output);
            await web.WaitUntilReadyAsync();
            return web;
        }

        public void AssertEveryTrackHasItsOriginalRating()
        {
            var now = Ratings();
            var wrong = _original.Where(kv => !Equals(kv.Value, now[kv.Key])).Select(kv => $"{kv.Key}: {kv.Value} -> {now[kv.Key]}").ToList();
            _output.WriteLine($"{_original.Count} tracks compared with their original rating: {wrong.Count} mismatches ({_clock.Elapsed.TotalSeconds:0.0} s in all)");
            Assert.True(wrong.Count == 0, $"{wrong.Count} tracks differ from before: {string.Join(", ", wrong.Take(10))}");
        }

        public void AssertNothingPending() => Assert.Equal(0, PendingRows());

        public int PendingRows() => (int)Scalar("SELECT COUNT(*) FROM changes WHERE state = 'Pending'");

        public int UnfinishedJobs() => (int)Scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('Queued', 'Running')");

        public int AppliedRows(long jobId) => (int)Scalar($"SELECT COUNT(*) FROM changes WHERE job_id = {jobId} AND state = 'Applied'");

        public (string Status, string? Error, int Rated) Job(long id)
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT status, error, rated FROM jobs WHERE id = {id}";
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read(), $"no job #{id}");
            return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2));
        }

        public long Scalar(string sql)
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        public void Report(string what) => _output.WriteLine($"{what}: {PendingAtKill} rows were pending at the kill");

        public async ValueTask DisposeAsync()
        {
            Plex.Options.BeforeRatingWrite = null;
            await Plex.DisposeAsync();
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
                // A child's file handle may linger for a moment; a temp dir left behind is harmless.
            }
        }

        private SqliteConnection Open()
        {
            var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = JournalFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            return connection;
        }

        private Dictionary<string, double?> Ratings() =>
            Plex.Library.TrackKeys(MusicKey).ToDictionary(k => k, k => Plex.Library.GetUserRating(k));

        private Task OnWriteAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _writes) == Volatile.Read(ref _killAt) && Interlocked.Exchange(ref _victim, null) is { } victim)
            {
                victim.Kill();
                Volatile.Write(ref _killAt, int.MaxValue);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>The web app as a child process, driven through its API with the API key.</summary>
    private sealed class WebChild(ChildProcess process, int port, ITestOutputHelper output) : IAsyncDisposable
    {
        public const string ApiKey = "crash-test-api-key-0123456789";

        private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/v1/"), DefaultRequestHeaders = { { "X-Api-Key", ApiKey } } };

        public ChildProcess Process { get; } = process;

        public async Task WaitUntilReadyAsync()
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                Assert.False(Process.HasExited, "the web app exited at start:\n" + Process.Output);
                try
                {
                    using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100);
            }

            throw new TimeoutException("the web app did not answer /health:\n" + Process.Output);
        }

        public async Task<JsonElement> PostAsync(string path, string json)
        {
            using var response = await _http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST {path}: {(int)response.StatusCode} {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }

        /// <summary>Starts a job and polls it (with a deadline) until it has ended.</summary>
        public async Task<JsonElement> RunJobAsync(string path, string json)
        {
            var id = (await PostAsync(path, json)).GetProperty("id").GetInt64();
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(90))
            {
                var job = await _http.GetFromJsonAsync<JsonElement>($"jobs/{id}");
                if (job.GetProperty("status").GetString() is not ("queued" or "running"))
                {
                    output.WriteLine($"web {path}: job #{id} {job.GetProperty("status").GetString()} after {deadline.Elapsed.TotalSeconds:0.0} s {job.GetProperty("error")}");
                    return job;
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"job #{id} did not end:\n{Process.Output}");
        }

        public ValueTask DisposeAsync()
        {
            _http.Dispose();
            Process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
