using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StarSync.Automation;
using StarSync.Jobs;
using StarSync.Notifications;
using StarSync.PlexEmulator;
using StarSync.Tests.Engine;

namespace StarSync.Tests.Automation;

/// <summary>
/// The real StarSync host listening on a loopback port (runner, schedule and batcher running), wired to an emulated
/// Plex whose webhook sender posts to it. Every log record is collected so tests can check what was (not) logged.
/// </summary>
internal sealed class WebhookHarness : IAsyncDisposable
{
    public const string Secret = "webhook-test-secret-4f9a2c";

    private WebhookHarness(EngineHarness engine, Uri baseAddress, FakeLogCollector logs)
    {
        Engine = engine;
        BaseAddress = baseAddress;
        Logs = logs;
    }

    public EngineHarness Engine { get; }

    public PlexEmulatorServer Plex => Engine.Plex;

    public Uri BaseAddress { get; }

    public FakeLogCollector Logs { get; }

    /// <summary>The URL the Settings page shows: the secret in the path.</summary>
    public Uri Url => new(BaseAddress, "plex-webhook/" + Secret);

    public AutomationState State => Engine.App.Services.GetRequiredService<AutomationState>();

    public NotificationStatus Notifications => Engine.App.Services.GetRequiredService<NotificationStatus>();

    /// <summary>Jobs made from new music, whichever source announced it (webhook or notification).</summary>
    public async Task<IReadOnlyList<JobRecord>> NewMusicJobsAsync() =>
        (await Engine.Journal.GetJobsAsync(100, CancellationToken.None)).Where(j => j.Mode == JobMode.Items).ToArray();

    /// <summary>Starts the app; Plex's notification websocket is off unless <paramref name="notifications"/>, so webhook tests see webhooks only.</summary>
    public static async Task<WebhookHarness> StartAsync(double debounceSeconds = 0.2, IDictionary<string, string?>? config = null, EmulatorOptions? emulator = null,
        bool notifications = false, Action<WebApplicationBuilder>? configure = null, PlexEmulatorServer? plex = null)
    {
        var logs = new FakeLogCollector();
        var values = new Dictionary<string, string?>
        {
            ["WEBHOOK_SECRET"] = Secret,
            ["WEBHOOK_DEBOUNCE_SECONDS"] = debounceSeconds.ToString(CultureInfo.InvariantCulture),
            // The schedule stays out of the way; its own tests drive it with a fake clock.
            ["BATCH_INTERVAL_MINUTES"] = "0",
            ["PLEX_NOTIFICATIONS"] = notifications ? "true" : "false",
        };
        foreach (var (key, value) in config ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var engine = await EngineHarness.StartAsync(emulator, values, plex: plex, configure: b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.AddProvider(new FakeLoggerProvider(logs));
            configure?.Invoke(b);
        });
        await engine.App.StartAsync();
        var address = new Uri(engine.App.Urls.First(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) + "/");
        return new WebhookHarness(engine, address, logs);
    }

    /// <summary>Waits until <paramref name="trackKeys"/> all carry a rating and no job runs or waits.</summary>
    public async Task WaitUntilRatedAndIdleAsync(IEnumerable<string> trackKeys, int seconds = 60)
    {
        var keys = trackKeys.ToArray();
        await Eventually.TrueAsync(() => keys.All(k => Plex.Library.GetUserRating(k) is not null) && !Engine.Queue.IsBusy,
            $"{keys.Length} tracks rated and the queue idle", seconds);
    }

    public async Task<IReadOnlyList<JobRecord>> WebhookJobsAsync() =>
        (await Engine.Journal.GetJobsAsync(100, CancellationToken.None)).Where(j => j.Trigger == JobTrigger.Webhook).ToArray();

    public async ValueTask DisposeAsync()
    {
        await Engine.App.StopAsync();
        await Engine.DisposeAsync();
    }
}
