using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using StarSync.PlexEmulator;
using Xunit.Abstractions;

namespace StarSync.Tests.Crash;

// The crash-safety suite kills the real app (CLI and web app, as child processes against the emulator) at exact
// writes, restarts it at once, undoes everything, and compares every track with its rating before StarSync touched
// it. The emulator calls back as each write arrives, so the kill points are deterministic: mid-page, at a page
// boundary, during an undo. Each class is one scenario, so xUnit runs them in parallel.

/// <summary>The CLI killed mid-page, then its undo killed midway, then undo run again: every track as before.</summary>
[Trait("Category", "Crash")]
[Trait("Category", "Integration")]
public sealed class CliKilledMidPageAndDuringUndoTests(ITestOutputHelper output)
{
    private const int PageSize = CrashScene.PageSize;

    [Fact]
    public async Task Cli_killed_mid_page_then_undo_killed_midway_then_undo_again_restores_every_track()
    {
        await using var scene = await CrashScene.StartAsync(output);

        var killed = await scene.RunCliKilledAtWriteAsync((2 * PageSize) + (PageSize / 2), "rate", "--all"); // mid-page 3
        var job = scene.Job(killed.JobId);
        Assert.Equal("Running", job.Status); // as the kill left it
        await scene.RunCliKilledAtWriteAsync(PageSize / 2, "undo", "--all"); // during the undo
        await scene.RunCliAsync("undo", "--all");

        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        Assert.Equal(0, scene.UnfinishedJobs());
        job = scene.Job(killed.JobId);
        Assert.Equal("Failed", job.Status);
        Assert.StartsWith("Interrupted", job.Error, StringComparison.Ordinal);
        // History tells the truth: the killed job is credited with exactly the writes that reached Plex (the kill
        // waits for no one, so up to WRITE_CONCURRENCY - 1 writes already sent arrive after it).
        Assert.Equal(scene.AppliedRows(killed.JobId), job.Rated);
        Assert.InRange(job.Rated, (2 * PageSize) + (PageSize / 2), (2 * PageSize) + (PageSize / 2) + 3);
        // Re-running the killed undo found nothing "changed since": the tracks it had restored count as restored.
        Assert.Equal(0, scene.Scalar("SELECT COUNT(*) FROM changes WHERE state = 'Skipped'"));
    }
}

/// <summary>The CLI killed at a page boundary, then the web app started at once undoes everything.</summary>
[Trait("Category", "Crash")]
[Trait("Category", "Integration")]
public sealed class CliKilledAtPageBoundaryTests(ITestOutputHelper output)
{
    private const int PageSize = CrashScene.PageSize;

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
}

/// <summary>The web app killed mid-job, restarted at once, undoes everything.</summary>
[Trait("Category", "Crash")]
[Trait("Category", "Integration")]
public sealed class WebAppKilledMidJobTests(ITestOutputHelper output)
{
    private const int PageSize = CrashScene.PageSize;

    [Fact]
    public async Task Web_app_killed_mid_job_then_restarted_at_once_undoes_all()
    {
        await using var scene = await CrashScene.StartAsync(output);
        long jobId;
        await using (var web = await scene.StartWebAsync())
        {
            scene.KillAtWrite(PageSize + (PageSize / 3), web.Process);
            jobId = (await web.PostAsync("jobs", """{"mode":"all"}""")).GetProperty("id").GetInt64();
            await web.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
            scene.Report($"web app killed at write {PageSize + (PageSize / 3)}");
        }

        await using (var web = await scene.StartWebAsync())
        {
            var undo = await web.RunJobAsync("undo-all", "{}");
            Assert.Equal("succeeded", undo.GetProperty("status").GetString());
        }

        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        Assert.Equal("Failed", scene.Job(jobId).Status);
    }
}

/// <summary>
/// The CLI rating through Plex's bulk edit, killed as a batch reaches Plex (the server applies it, the client never
/// hears back): the web app started at once settles the batch's pending rows by reading Plex, then undoes everything.
/// </summary>
[Trait("Category", "Crash")]
[Trait("Category", "Integration")]
public sealed class CliKilledMidBatchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Cli_killed_as_a_bulk_edit_reaches_plex_then_web_app_started_at_once_settles_it_and_undoes_all()
    {
        await using var scene = await CrashScene.StartAsync(output);
        scene.WriteMode = "batch";

        var killed = await scene.RunCliKilledAtWriteAsync(5, "rate", "--all"); // the 5th bulk edit of 20 tracks
        Assert.True(scene.PendingAtKill > 0, "the killed batch left pending rows");
        await using var web = await scene.StartWebAsync();
        var undo = await web.RunJobAsync("undo-all", "{}");

        Assert.Equal("succeeded", undo.GetProperty("status").GetString());
        scene.AssertEveryTrackHasItsOriginalRating();
        scene.AssertNothingPending();
        Assert.Equal(0, scene.UnfinishedJobs());
        // The batch that reached Plex as the client died is credited to the killed job after the read-back.
        Assert.Equal(scene.AppliedRows(killed.JobId), scene.Job(killed.JobId).Rated);
        Assert.InRange(scene.Job(killed.JobId).Rated, 3 * 20, 8 * 20); // batches in flight at once (WRITE_CONCURRENCY 4) may land too
    }
}

/// <summary>One emulated Plex, one config directory, and the children that share them.</summary>
internal sealed class CrashScene : IAsyncDisposable
{
    /// <summary>Page size of the children: kill points are chosen relative to it.</summary>
    public const int PageSize = 50;

    private readonly ITestOutputHelper _output;
    private readonly string _dir;
    private readonly Dictionary<string, double?> _original;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
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

    /// <summary>WRITE_MODE of the children. The per-track kill points count <c>/:/rate</c> writes, so most scenarios pin "single".</summary>
    public string WriteMode { get; set; } = "single";

    private string MusicKey => Plex.Library.Sections.First(s => s.Type == "artist").Key;

    private string JournalFile => Path.Combine(_dir, "config", "starsync.db");

    public static async Task<CrashScene> StartAsync(ITestOutputHelper output)
    {
        var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 600, Seed = 11, HandRatedShare = 0.25 });
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
        ["WRITE_MODE"] = WriteMode,
        ["WRITE_BATCH_SIZE"] = "20",
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
        lock (_gate)
        {
            _victim = victim;
            _writes = 0;
            _killAt = nth;
        }
    }

    public async Task<(long JobId, int Pending)> RunCliKilledAtWriteAsync(int nth, params string[] args)
    {
        var started = _clock.Elapsed;
        using var child = ChildProcess.Start(Environment(), _dir, args);
        KillAtWrite(nth, child);
        var code = await child.WaitForExitAsync(TimeSpan.FromSeconds(60));
        lock (_gate)
        {
            Assert.True(_killAt == int.MaxValue, $"the run ended (exit {code}) before write {nth}:\n{child.Output}");
        }

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

    public void Report(string what) => _output.WriteLine($"{what}: {PendingRows()} rows pending at the kill");

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

    /// <summary>
    /// Writes pass one at a time, so while the victim is being killed no other write of it gets through: the kill
    /// point is exact (writes it had already sent arrive afterwards, as they would at a real server).
    /// </summary>
    private Task OnWriteAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (++_writes == _killAt && _victim is { } victim)
            {
                victim.Kill();
                _victim = null;
                _killAt = int.MaxValue;
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>The web app as a child process, driven through its API with the API key.</summary>
internal sealed class WebChild(ChildProcess process, int port, ITestOutputHelper output) : IAsyncDisposable
{
    public const string ApiKey = "crash-test-api-key-0123456789";

    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/api/v1/"), DefaultRequestHeaders = { { "X-Api-Key", ApiKey } } };

    public ChildProcess Process { get; } = process;

    public Task WaitUntilReadyAsync() =>
        Eventually.TrueAsync(
            async () =>
            {
                Assert.False(Process.HasExited, "the web app exited at start:\n" + Process.Output);
                try
                {
                    using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            "the web app to answer /health",
            seconds: 60);

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
        var started = Stopwatch.StartNew();
        var job = await Eventually.ValueAsync(
            () => _http.GetFromJsonAsync<JsonElement>($"jobs/{id}"),
            j => j.GetProperty("status").GetString() is not ("queued" or "running"),
            $"job #{id} to end",
            seconds: 90);
        output.WriteLine($"web {path}: job #{id} {job.GetProperty("status").GetString()} after {started.Elapsed.TotalSeconds:0.0} s {job.GetProperty("error")}");
        return job;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        Process.Dispose();
        return ValueTask.CompletedTask;
    }
}
