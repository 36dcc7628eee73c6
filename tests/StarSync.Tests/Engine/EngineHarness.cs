using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

/// <summary>
/// The real StarSync host (not started as a web server) wired to a running emulated Plex over HTTP, with a temp
/// config directory. Jobs run through the same queue and runner code the web app and CLI use.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(PlexEmulatorServer plex, WebApplication app, string dir)
    {
        Plex = plex;
        App = app;
        Directory = dir;
    }

    public PlexEmulatorServer Plex { get; }

    public WebApplication App { get; }

    public string Directory { get; }

    public JobQueue Queue => App.Services.GetRequiredService<JobQueue>();

    public JobExecutor Executor => App.Services.GetRequiredService<JobExecutor>();

    public RunnerLease Lease => App.Services.GetRequiredService<RunnerLease>();

    public JournalStore Journal => App.Services.GetRequiredService<JournalStore>();

    public SettingsStore Settings => App.Services.GetRequiredService<SettingsStore>();

    /// <summary>WRITE_MODE=single: for tests of the one-write-per-track path (faults on /:/rate and the like).</summary>
    public static IDictionary<string, string?> SingleWrites => new Dictionary<string, string?> { ["WRITE_MODE"] = "single" };

    public string MusicKey => Plex.Library.Sections.First(s => s.Type == "artist").Key;

    public static async Task<EngineHarness> StartAsync(EmulatorOptions? options = null, IDictionary<string, string?>? config = null, string? dir = null, PlexEmulatorServer? plex = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        plex ??= await PlexEmulatorServer.StartAsync(options ?? new EmulatorOptions { Tracks = 600, Seed = 7, HandRatedShare = 0.2 });
        dir ??= System.IO.Directory.CreateTempSubdirectory("starsync-engine-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["PLEX_URL"] = plex.BaseUri.ToString(),
            ["PLEX_TOKEN"] = plex.Token,
            ["CONFIG_DIR"] = Path.Combine(dir, "config"),
            ["LOGS_DIR"] = Path.Combine(dir, "logs"),
            ["DOTENV_PATH"] = Path.Combine(dir, "none.env"),
            ["LIBRARY_NAME"] = plex.Library.Sections.First(s => s.Type == "artist").Title,
            ["RATING_STYLE"] = "5stars",
            ["TARGET_RATING"] = "3",
            ["PLEX_PAGE_SIZE"] = "100",
            ["APP_USERNAME"] = "admin",
            ["APP_PASSWORD"] = "engine-test-password",
        };
        foreach (var (key, value) in config ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = StarSyncApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(values);
            b.Services.Configure<PlexResilienceOptions>(o =>
            {
                o.MaxRetryAttempts = 3;
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                o.RetryMaxDelay = TimeSpan.FromMilliseconds(5);
            });
            configure?.Invoke(b);
        });
        await app.Services.GetRequiredService<JournalStore>().InitializeAsync(CancellationToken.None);
        return new EngineHarness(plex, app, dir);
    }

    /// <summary>Queues <paramref name="request"/> and runs it (and anything queued before it) to the end.</summary>
    public Task<JobRecord> RunAsync(JobRequest request, CancellationToken cancellationToken = default) =>
        Executor.RunToCompletionAsync(request, cancellationToken);

    public Task<JobRecord> RunAsync(JobMode mode, bool dryRun = false, int? count = null, long? undo = null, IReadOnlyList<string>? items = null) =>
        RunAsync(new JobRequest(JobTrigger.Manual, mode, dryRun, count, items, undo), TestTimeout());

    public static CancellationToken TestTimeout(int seconds = 120) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>The owner's ratings of every track in the music library, by ratingKey.</summary>
    public Dictionary<string, double?> Ratings() =>
        Plex.Library.TrackKeys(MusicKey).ToDictionary(k => k, k => Plex.Library.GetUserRating(k));

    public async Task<IReadOnlyList<ChangeRecord>> ChangesAsync(long jobId)
    {
        var page = await Journal.GetChangesAsync(jobId, null, 0, 1000, CancellationToken.None);
        var all = new List<ChangeRecord>(page.Items);
        while (all.Count < page.Total)
        {
            all.AddRange((await Journal.GetChangesAsync(jobId, null, all.Count, 1000, CancellationToken.None)).Items);
        }

        return all;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Plex.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment on some systems; a temp dir left behind is harmless.
        }
    }
}
