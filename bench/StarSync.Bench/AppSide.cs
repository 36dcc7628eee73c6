using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Rating;

namespace StarSync.Bench;

/// <summary>
/// The real StarSync host (built, not started as a web server), pointed at a Plex URL, with a throw-away config
/// directory. Jobs go through the same queue and rating job the web app, scheduler and CLI use.
/// </summary>
internal sealed class AppSide : IAsyncDisposable
{
    private readonly string _dir;

    private AppSide(WebApplication app, string dir)
    {
        App = app;
        _dir = dir;
    }

    public WebApplication App { get; }

    public static async Task<AppSide> StartAsync(Uri plexUrl, string token, string library, int writeConcurrency, IDictionary<string, string?>? extra = null)
    {
        var dir = Directory.CreateTempSubdirectory("starsync-bench-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["PLEX_URL"] = plexUrl.ToString(),
            ["PLEX_TOKEN"] = token,
            ["CONFIG_DIR"] = Path.Combine(dir, "config"),
            ["LOGS_DIR"] = Path.Combine(dir, "logs"),
            ["DOTENV_PATH"] = Path.Combine(dir, "none.env"),
            ["LIBRARY_NAME"] = library,
            ["RATING_STYLE"] = "5stars",
            ["TARGET_RATING"] = "3",
            ["WRITE_CONCURRENCY"] = writeConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["APP_USERNAME"] = "admin",
            ["APP_PASSWORD"] = "bench-password-not-used",
            // The older scenarios measure the one-write-per-track path; WritePathBench passes its own WRITE_MODE.
            ["WRITE_MODE"] = "single",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = StarSyncApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(values);
            // Only the console provider goes (bench output stays readable); StarSync's own sinks are added after this.
            b.Logging.ClearProviders();
        });
        await app.Services.GetRequiredService<JournalStore>().InitializeAsync(CancellationToken.None);
        return new AppSide(app, dir);
    }

    /// <summary>Queues a job and runs it to the end, as the JobRunner would; returns it with its wall time.</summary>
    public async Task<(JobRecord Job, TimeSpan Elapsed)> RunAsync(JobMode mode, bool dryRun = false, int? count = null, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var done = await App.Services.GetRequiredService<JobExecutor>()
            .RunToCompletionAsync(new JobRequest(JobTrigger.Cli, mode, dryRun, count, null, null), cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (done.Status != JobStatus.Succeeded)
        {
            throw new InvalidOperationException($"Job {done.Id} ended {done.Status}: {done.Error}");
        }

        return (done, elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may hold the file for a moment; a temp dir left behind is harmless.
        }
    }
}
