using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StarSync.Automation;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Notifications;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Hosting;

/// <summary>
/// The one way tests start StarSync: the real app (built by <see cref="StarSyncApp.Build"/> exactly as production)
/// in its own temporary CONFIG_DIR/LOGS_DIR, optionally wired to an emulated Plex over real HTTP.
/// <code>
/// await using var host = await TestHost.Create().StartAsync();                          // web app, Plex unreachable
/// await using var host = await TestHost.Create().Emulator().EngineOnly().StartAsync();  // engine tests: jobs, journal
/// await using var host = await TestHost.Create()
///     .Emulator(new EmulatorOptions { Tracks = 400, Seed = 21 })                           // emulated Plex
///     .Config("API_KEY", Key).Webhooks(debounceSeconds: 2)                                  // configuration values
///     .Services(b => b.Services.AddSingleton(...)).Map(app => app.MapGet(...))            // overrides, test endpoints
///     .StartAsync();
/// var client = await host.CreateLoggedInClientAsync();
/// </code>
/// </summary>
public sealed partial class TestHost : IAsyncDisposable
{
    public const string Username = "admin";
    public const string Password = "correct horse battery staple";

    /// <summary>The secret <see cref="TestHostBuilder.Webhooks"/> configures.</summary>
    public const string WebhookSecret = "webhook-test-secret-4f9a2c";

    private readonly PlexEmulatorServer? _plex;
    private readonly bool _ownsPlex;
    private readonly bool _ownsDirectory;
    private readonly bool _started;
    private readonly Uri? _baseAddress;

    internal TestHost(WebApplication app, string rootDirectory, bool ownsDirectory, PlexEmulatorServer? plex, bool ownsPlex, bool started, FakeLogCollector logs)
    {
        App = app;
        RootDirectory = rootDirectory;
        _ownsDirectory = ownsDirectory;
        _plex = plex;
        _ownsPlex = ownsPlex;
        _started = started;
        Logs = logs;
        if (started)
        {
            _baseAddress = new Uri(app.Urls.First(u => u.StartsWith("http://", StringComparison.Ordinal)).TrimEnd('/') + "/");
        }
    }

    /// <summary>A new builder: web app (Kestrel on 127.0.0.1, hosted services running), no emulated Plex.</summary>
    public static TestHostBuilder Create() => new();

    /// <summary>The running (or, engine-only, built) host; use <c>App.Services</c> to reach singletons.</summary>
    public WebApplication App { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>The emulated Plex the app talks to (only when the builder was given one).</summary>
    public PlexEmulatorServer Plex => _plex ?? throw new InvalidOperationException("This test host has no emulated Plex: call Emulator() on the builder.");

    /// <summary>Every log record the app wrote (all levels the app's configuration lets through).</summary>
    public FakeLogCollector Logs { get; }

    /// <summary>Holds config/ and logs/; deleted on dispose unless it was passed in.</summary>
    public string RootDirectory { get; }

    public string ConfigDirectory => Path.Combine(RootDirectory, "config");

    public string LogsDirectory => Path.Combine(RootDirectory, "logs");

    /// <summary>The app's address (web hosts only), ending in '/'.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("An engine-only test host does not listen: drop EngineOnly().");

    public JobQueue Queue => Services.GetRequiredService<JobQueue>();

    public JobExecutor Executor => Services.GetRequiredService<JobExecutor>();

    public RunnerLease Lease => Services.GetRequiredService<RunnerLease>();

    public JournalStore Journal => Services.GetRequiredService<JournalStore>();

    public SettingsStore Settings => Services.GetRequiredService<SettingsStore>();

    public AutomationState State => Services.GetRequiredService<AutomationState>();

    public NotificationStatus Notifications => Services.GetRequiredService<NotificationStatus>();

    /// <summary>The first music library of the emulated Plex (the one LIBRARY_NAME names by default).</summary>
    public string MusicKey => Plex.Library.Sections.First(s => s.IsMusic).Key;

    /// <summary>The URL the Settings page shows for webhooks: the secret in the path.</summary>
    public Uri WebhookUrl => new(BaseAddress, "plex-webhook/" + WebhookSecret);

    /// <summary>src/StarSync, so wwwroot and Razor Pages are served as in production (the test output has no wwwroot).</summary>
    public static string ContentRoot { get; } = FindContentRoot();

    /// <summary>How long a job may take before a test gives up on it (no test job comes near this).</summary>
    private static readonly TimeSpan JobDeadline = TimeSpan.FromSeconds(120);

    /// <summary>Queues <paramref name="request"/> and runs it (and anything queued before it) to the end.</summary>
    public Task<JobRecord> RunAsync(JobRequest request, CancellationToken cancellationToken = default) =>
        Executor.RunToCompletionAsync(request, cancellationToken).WaitAsync(JobDeadline, cancellationToken);

    public Task<JobRecord> RunAsync(JobMode mode, bool dryRun = false, int? count = null, long? undo = null, IReadOnlyList<string>? items = null) =>
        RunAsync(new JobRequest(JobTrigger.Manual, mode, dryRun, count, items, undo));

    /// <summary>The owner's ratings of every track in the first music library, by ratingKey.</summary>
    public Dictionary<string, double?> Ratings() =>
        Plex.Library.TrackKeys(MusicKey).ToDictionary(k => k, k => Plex.Library.GetUserRating(k));

    /// <summary>Every journaled change of a job, all pages.</summary>
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

    /// <summary>Jobs made from new music, whichever source announced it (webhook or notification).</summary>
    public async Task<IReadOnlyList<JobRecord>> NewMusicJobsAsync() =>
        (await Journal.GetJobsAsync(100, CancellationToken.None)).Where(j => j.Mode == JobMode.Items).ToArray();

    public async Task<IReadOnlyList<JobRecord>> WebhookJobsAsync() =>
        (await Journal.GetJobsAsync(100, CancellationToken.None)).Where(j => j.Trigger == JobTrigger.Webhook).ToArray();

    /// <summary>Waits until <paramref name="trackKeys"/> all carry a rating and no job runs or waits.</summary>
    public async Task WaitUntilRatedAndIdleAsync(IEnumerable<string> trackKeys, int seconds = 60)
    {
        var keys = trackKeys.ToArray();
        await Eventually.TrueAsync(() => keys.All(k => Plex.Library.GetUserRating(k) is not null) && !Queue.IsBusy,
            $"{keys.Length} tracks rated and the queue idle", seconds);
    }

    /// <summary>Polls GET /api/v1/jobs/{id} through <paramref name="client"/> until the job has finished; returns its JSON.</summary>
    public static Task<System.Text.Json.JsonElement> FinishedJobAsync(HttpClient client, long id, int seconds = 90) =>
        Eventually.ValueAsync(
            () => System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(client, $"/api/v1/jobs/{id}"),
            job => job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled",
            $"job {id} to finish",
            seconds);

    /// <summary>A client with its own cookie jar that does not follow redirects (so tests can see them).</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>A client that sends <paramref name="apiKey"/> as X-Api-Key.</summary>
    public HttpClient CreateApiClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    /// <summary>Logs in through the real login form and returns the client holding the session cookie.</summary>
    public async Task<HttpClient> CreateLoggedInClientAsync(CookieContainer? cookies = null)
    {
        var client = CreateClient(cookies);
        using var response = await PostLoginAsync(client, Username, Password);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Login failed: {(int)response.StatusCode}");
        }

        return client;
    }

    /// <summary>GETs /login for the form's antiforgery token and POSTs the credentials.</summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string username, string password, string? returnUrl = null)
    {
        var form = await client.GetStringAsync("/login");
        var fields = new Dictionary<string, string>
        {
            ["username"] = username,
            ["password"] = password,
            ["__RequestVerificationToken"] = ReadFormToken(form),
        };
        if (returnUrl is not null)
        {
            fields["returnUrl"] = returnUrl;
        }

        using var content = new FormUrlEncodedContent(fields);
        return await client.PostAsync("/login", content);
    }

    /// <summary>The hidden antiforgery field of a Razor form.</summary>
    public static string ReadFormToken(string html)
    {
        var match = FormToken().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("No antiforgery field in the form.");
    }

    /// <summary>The token the layout renders in its meta tag, to send as the RequestVerificationToken header.</summary>
    public static async Task<string> GetAntiforgeryTokenAsync(HttpClient client, string page = "/")
    {
        var html = await client.GetStringAsync(page);
        var match = MetaToken().Match(html);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("No antiforgery meta tag on " + page);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await App.StopAsync();
        }

        await App.DisposeAsync();
        if (_ownsPlex && _plex is not null)
        {
            await _plex.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // SQLite or the OS may still hold a file for a moment; a temp dir left behind is harmless.
            }
        }
    }

    private static string FindContentRoot() => Path.Combine(RepositoryRoot(), "src", "StarSync");

    /// <summary>The checkout's root (the folder holding StarSync.slnx), found upwards from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StarSync.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StarSync.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("""name="__RequestVerificationToken" type="hidden" value="([^"]+)"[^>]*>""")]
    private static partial Regex FormToken();

    [GeneratedRegex("""<meta name="request-verification-token" content="([^"]+)">""")]
    private static partial Regex MetaToken();
}

/// <summary>Fluent set-up of a <see cref="TestHost"/>; every call returns the builder.</summary>
public sealed class TestHostBuilder
{
    private readonly Dictionary<string, string?> _config = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Action<WebApplicationBuilder>> _services = [];
    private readonly List<Action<WebApplication>> _maps = [];
    private EmulatorOptions? _emulator;
    private PlexEmulatorServer? _sharedPlex;
    private bool _allMusicLibraries;
    private bool _engineOnly;
    private string? _directory;

    internal TestHostBuilder()
    {
    }

    /// <summary>Starts an emulated Plex (default: 600 tracks, seed 7, 20 % hand-rated) and points PLEX_URL/PLEX_TOKEN/LIBRARY_NAME at it.</summary>
    public TestHostBuilder Emulator(EmulatorOptions? options = null)
    {
        _emulator = options ?? new EmulatorOptions { Tracks = 600, Seed = 7, HandRatedShare = 0.2 };
        return this;
    }

    /// <summary>Uses an emulated Plex that is already running (shared with another host; not disposed with this one).</summary>
    public TestHostBuilder Plex(PlexEmulatorServer plex)
    {
        _sharedPlex = plex;
        return this;
    }

    /// <summary>LIBRARY_NAME names every music library of the emulator, not just the first.</summary>
    public TestHostBuilder AllMusicLibraries()
    {
        _allMusicLibraries = true;
        return this;
    }

    /// <summary>Adds or overrides one configuration value (as an environment variable would; "" unsets).</summary>
    public TestHostBuilder Config(string key, string? value)
    {
        _config[key] = value;
        return this;
    }

    public TestHostBuilder Config(IEnumerable<KeyValuePair<string, string?>>? values)
    {
        foreach (var (key, value) in values ?? [])
        {
            _config[key] = value;
        }

        return this;
    }

    /// <summary>WRITE_MODE=single: for tests of the one-write-per-track path (faults on /:/rate and the like).</summary>
    public TestHostBuilder SingleWrites() => Config("WRITE_MODE", "single");

    /// <summary>
    /// Webhooks on with <see cref="TestHost.WebhookSecret"/> and a short debounce; the schedule off (its own tests drive
    /// it with a fake clock) and Plex's notification websocket off unless <paramref name="notifications"/>.
    /// </summary>
    public TestHostBuilder Webhooks(double debounceSeconds = 0.2, bool notifications = false) =>
        Config("WEBHOOK_SECRET", TestHost.WebhookSecret)
            .Config("WEBHOOK_DEBOUNCE_SECONDS", debounceSeconds.ToString(CultureInfo.InvariantCulture))
            .Config("BATCH_INTERVAL_MINUTES", "0")
            .Config("PLEX_NOTIFICATIONS", notifications ? "true" : "false");

    /// <summary>Replaces services or changes the host before it is built (runs after the test defaults).</summary>
    public TestHostBuilder Services(Action<WebApplicationBuilder> configure)
    {
        _services.Add(configure);
        return this;
    }

    /// <summary>Adds endpoints (test-only fakes) before the app starts.</summary>
    public TestHostBuilder Map(Action<WebApplication> map)
    {
        _maps.Add(map);
        return this;
    }

    /// <summary>Builds the app and creates the journal but neither listens nor runs hosted services (schedule, runner, listeners).</summary>
    public TestHostBuilder EngineOnly()
    {
        _engineOnly = true;
        return this;
    }

    /// <summary>Uses (and keeps) an existing root directory: a restart, or a second process over the same files.</summary>
    public TestHostBuilder InDirectory(string rootDirectory)
    {
        _directory = rootDirectory;
        return this;
    }

    /// <summary>Starts the emulator (if asked), builds the app and starts it (unless engine-only).</summary>
    public async Task<TestHost> StartAsync()
    {
        var ownsDirectory = _directory is null;
        var root = _directory ?? Directory.CreateTempSubdirectory("starsync-test-").FullName;
        var ownsPlex = _sharedPlex is null && _emulator is not null;
        var plex = _sharedPlex ?? (_emulator is { } options ? await PlexEmulatorServer.StartAsync(options) : null);
        var logs = new FakeLogCollector();
        WebApplication? app = null;
        try
        {
            app = Build(root, plex, logs);
            if (_engineOnly)
            {
                await app.Services.GetRequiredService<JournalStore>().InitializeAsync(CancellationToken.None);
            }
            else
            {
                await app.StartAsync();
            }

            return new TestHost(app, root, ownsDirectory, plex, ownsPlex, !_engineOnly, logs);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (ownsPlex && plex is not null)
            {
                await plex.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Builds the app as production does, with the test configuration, but does not start it (start-up validation tests).</summary>
    public WebApplication Build(string rootDirectory) => Build(rootDirectory, _sharedPlex, new FakeLogCollector());

    /// <summary>The configuration a host in <paramref name="rootDirectory"/> gets: test defaults, the emulator's values, then Config() calls.</summary>
    public Dictionary<string, string?> ConfigurationFor(string rootDirectory) => ConfigurationFor(rootDirectory, _sharedPlex);

    private Dictionary<string, string?> ConfigurationFor(string root, PlexEmulatorServer? plex)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["CONFIG_DIR"] = Path.Combine(root, "config"),
            ["LOGS_DIR"] = Path.Combine(root, "logs"),
            ["DOTENV_PATH"] = Path.Combine(root, "none.env"),
            ["APP_USERNAME"] = TestHost.Username,
            ["APP_PASSWORD"] = TestHost.Password,
            ["PLEX_URL"] = "http://127.0.0.1:9",
            ["PLEX_TOKEN"] = "x",
        };
        if (plex is not null)
        {
            // The emulator's optional hidden and audiobook libraries are never selected by default (as in production).
            var music = plex.Library.Sections.Where(s => s.IsMusic && !s.Hidden && s.Agent is null).Select(s => s.Title);
            values["PLEX_URL"] = plex.BaseUri.ToString();
            values["PLEX_TOKEN"] = plex.Token;
            values["LIBRARY_NAME"] = _allMusicLibraries ? string.Join(",", music) : music.First();
            values["PLEX_PAGE_SIZE"] = "100";
        }

        foreach (var (key, value) in _config)
        {
            values[key] = value;
        }

        return values;
    }

    private WebApplication Build(string root, PlexEmulatorServer? plex, FakeLogCollector logs)
    {
        var values = ConfigurationFor(root, plex);

        // The test host's entry assembly is testhost, so name the application (Razor Pages are found through it)
        // and the content root (wwwroot) as production has them.
        var app = StarSyncApp.Build(["--applicationName", typeof(StarSyncApp).Assembly.GetName().Name!, "--contentRoot", TestHost.ContentRoot], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(values);
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
            if (plex is not null)
            {
                // An emulated Plex answers at once: retry quickly so fault tests do not wait out production back-off.
                builder.Services.Configure<PlexResilienceOptions>(o =>
                {
                    o.MaxRetryAttempts = 3;
                    o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
                    o.RetryMaxDelay = TimeSpan.FromMilliseconds(5);
                });
            }

            foreach (var configure in _services)
            {
                configure(builder);
            }
        });
        foreach (var map in _maps)
        {
            map(app);
        }

        return app;
    }
}
