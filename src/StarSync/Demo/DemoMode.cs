using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Demo;

/// <summary>
/// <c>--demo</c>: StarSync against the built-in emulated Plex with a generated library, demo credentials printed on
/// start, and a new album "arriving" every minute through Plex's notification websocket (every other one also through a
/// real webhook, which StarSync merges into the same job), so the automation can be watched.
/// </summary>
public static class DemoMode
{
    /// <summary>The emulated sections StarSync treats as music (<see cref="LibraryMatcher"/>: not hidden, not audiobooks).</summary>
    internal static IReadOnlyList<EmulatedSection> MusicSections(PlexEmulatorServer plex) =>
        plex.Library.Sections
            .Where(s => LibraryMatcher.IsOffered(new PlexLibrary(s.Key, s.Title, s.Type, s.Uuid, s.Agent) { Scanner = s.Scanner, Hidden = s.Hidden }, []))
            .ToList();

    /// <summary>Starts the emulator, then the app configured against it; runs until stopped.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        await using var demo = await StartAsync(args, dataDirectory: null, cancellationToken);
        await Console.Out.WriteLineAsync($"""

            StarSync demo is running at {demo.Url}
              sign in as:  {DemoInstance.Username} / {demo.Password}
              emulated Plex: {MusicSections(demo.Plex).Sum(s => s.TrackCount)} tracks in {MusicSections(demo.Plex).Count} music libraries, some rated by hand (and an audiobook library StarSync leaves alone)
              a new album arrives every minute through Plex's notification websocket (every other one also by webhook)
              demo settings and journal: {demo.DataDirectory} (delete it to start over)
            Press Ctrl+C to stop.

            """);
        await demo.App.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    /// <summary>Starts the emulated Plex and StarSync against it. <paramref name="dataDirectory"/> defaults to a folder in the temp directory.</summary>
    public static async Task<DemoInstance> StartAsync(string[] args, string? dataDirectory, CancellationToken cancellationToken)
    {
        // An audiobook library too: the dashboard shows it as not covered, with the reason.
        var options = new EmulatorOptions { Tracks = 4000, MusicLibraries = 2, HandRatedShare = 0.15, Seed = 42, FriendlyName = "StarSync Demo Plex", AudiobookLibrary = true };
        // A little latency makes progress visible, as on a real server.
        options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(4);
        var plex = await PlexEmulatorServer.StartAsync(options, cancellationToken);

        var dataDir = dataDirectory ?? Path.Combine(Path.GetTempPath(), "starsync-demo");
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var fresh = !File.Exists(Path.Combine(dataDir, "config", "settings.json"));
        var app = StarSyncApp.Build(args.Where(a => a != StarSyncApp.DemoFlag).ToArray(), builder =>
        {
            var demoConfig = new Dictionary<string, string?>
            {
                ["PLEX_URL"] = plex.BaseUri.ToString(),
                ["PLEX_TOKEN"] = plex.Token,
                ["LIBRARY_NAME"] = string.Join(",", MusicSections(plex).Select(s => s.Title)),
                ["APP_USERNAME"] = DemoInstance.Username,
                ["APP_PASSWORD"] = password,
                ["BATCH_INTERVAL_MINUTES"] = "5",
                ["WEBHOOK_DEBOUNCE_SECONDS"] = "5",
                ["DOTENV_PATH"] = Path.Combine(dataDir, "demo.env"),
            };
            // CONFIG_DIR / LOGS_DIR from the environment or the command line are honoured; otherwise the demo keeps
            // its state in its own folder.
            foreach (var (name, folder) in new[] { ("CONFIG_DIR", "config"), ("LOGS_DIR", "logs") })
            {
                if (string.IsNullOrWhiteSpace(builder.Configuration[name]))
                {
                    demoConfig[name] = Path.Combine(dataDir, folder);
                }
            }

            builder.Configuration.AddInMemoryCollection(demoConfig);
            builder.Services.AddSingleton(plex);
            builder.Services.AddHostedService<DemoArrivals>();
        });

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            await plex.DisposeAsync();
            throw;
        }

        if (fresh)
        {
            // A new demo shows the rating rules at work (interludes, skips, plays, inherited, live albums); the user
            // can go back to the default rule in Settings.
            await app.Services.GetRequiredService<SettingsStore>().UpdateAsync(s => s with { Rules = Rules.RuleSets.Example(s.TargetRating) }, cancellationToken);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5454";
        return new DemoInstance(app, plex, password, Reachable(bound), app.Services.GetRequiredService<StarSyncPaths>().ConfigDirectory);
    }

    /// <summary>"Listening on every interface" is not an address a browser (or the webhook sender) can open.</summary>
    internal static string Reachable(string boundAddress) => boundAddress
        .Replace("[::]", "localhost", StringComparison.Ordinal)
        .Replace("0.0.0.0", "localhost", StringComparison.Ordinal)
        .Replace("://+", "://localhost", StringComparison.Ordinal);
}

/// <summary>A running demo: the app, its emulated Plex and the credentials to sign in with.</summary>
public sealed class DemoInstance(WebApplication app, PlexEmulatorServer plex, string password, string url, string dataDirectory) : IAsyncDisposable
{
    /// <summary>The demo's user name.</summary>
    public const string Username = "demo";

    public WebApplication App { get; } = app;

    public PlexEmulatorServer Plex { get; } = plex;

    public string Password { get; } = password;

    public string Url { get; } = url;

    public string DataDirectory { get; } = dataDirectory;

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Plex.DisposeAsync();
    }
}

/// <summary>
/// Adds an album to the emulated Plex every minute: the emulator announces it on its notification websocket, which
/// StarSync listens to; every other album is also posted as the webhook PMS would send, to show both paths (one job).
/// </summary>
internal sealed partial class DemoArrivals(PlexEmulatorServer plex, SettingsStore settings, IServer server, TimeProvider time, ILogger<DemoArrivals> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        var sections = DemoMode.MusicSections(plex);
        var n = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var section = sections[n++ % sections.Count];
            var album = plex.Library.AddAlbum(section.Key, 8 + (n % 7));
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (address is null || n % 2 == 1)
            {
                LogAnnounced(album.AlbumTitle, album.ArtistTitle, section.Title, plex.Notifications.ConnectedClients);
                continue;
            }

            var target = new Uri($"{DemoMode.Reachable(address)}/plex-webhook/{settings.Current.WebhookSecret}");
            try
            {
                using var response = await plex.Webhooks.SendLibraryNewAsync(target, album.AlbumRatingKey, stoppingToken);
                LogArrived(album.AlbumTitle, album.ArtistTitle, section.Title, (int)response.StatusCode);
            }
            catch (HttpRequestException ex)
            {
                LogSendFailed(ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "Demo: new album '{Album}' by {Artist} arrived in {Library}; announced on the notification websocket to {Listeners} listener(s)")]
    private partial void LogAnnounced(string album, string artist, string library, int listeners);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Demo: new album '{Album}' by {Artist} arrived in {Library}; announced on the notification websocket and by webhook, which answered {Status}")]
    private partial void LogArrived(string album, string artist, string library, int status);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Demo: could not send the webhook: {Reason}")]
    private partial void LogSendFailed(string reason);
}
