using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace StarSync.PlexEmulator;

/// <summary>An emulated Plex Media Server on real Kestrel, for tests, benchmarks and demo mode.</summary>
public sealed class PlexEmulatorServer : IAsyncDisposable
{
    private readonly EmulatorState _state;
    private readonly HttpClient _webhookClient;
    private readonly SemaphoreSlim _serving = new(1, 1);
    private WebApplication? _app;
    private int _disposed;

    private PlexEmulatorServer(WebApplication app, EmulatorOptions options, EmulatorState state, Uri baseUri, HttpClient webhookClient)
    {
        _app = app;
        _state = state;
        _webhookClient = webhookClient;
        Options = options;
        Library = state.Library;
        Counters = state.Counters;
        BaseUri = baseUri;
        MachineIdentifier = state.MachineIdentifier;
        Webhooks = new WebhookSender(state, webhookClient);
    }

    /// <summary>e.g. http://127.0.0.1:40123/</summary>
    public Uri BaseUri { get; }

    /// <summary>The owner's token.</summary>
    public string Token => Options.Token;

    public EmulatorOptions Options { get; }

    public EmulatedLibrary Library { get; }

    public EmulatorCounters Counters { get; }

    public WebhookSender Webhooks { get; }

    /// <summary>The notification websocket's clients, counters and fault switches.</summary>
    public NotificationHub Notifications => _state.Notifications;

    /// <summary>The server's machineIdentifier, as /identity reports it.</summary>
    public string MachineIdentifier { get; }

    /// <summary>False between <see cref="StopServingAsync"/> and <see cref="StartServingAsync"/>.</summary>
    public bool IsServing => _app is not null;

    /// <summary>
    /// Waits the way the emulator's latency model waits (a deadline on its own timer thread, kept within ~0.5 ms), so
    /// benchmarks can show how close "2 ms" is to 2 ms on the machine at hand, beside Task.Delay.
    /// </summary>
    public static Task ModelledDelayAsync(TimeSpan delay, CancellationToken cancellationToken = default) =>
        PreciseDelay.Shared.WaitAsync(delay, cancellationToken);

    /// <summary>Generates the library and starts listening.</summary>
    public static async Task<PlexEmulatorServer> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var library = EmulatedLibrary.Create(options);
        var state = new EmulatorState(options, library, new EmulatorCounters());
        var app = await StartAppAsync(state, options.Port, cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address.EndsWith('/') ? address : address + "/");
        if (uri.Host is "0.0.0.0" or "[::]")
        {
            uri = new UriBuilder(uri) { Host = "127.0.0.1" }.Uri;
        }

        return new PlexEmulatorServer(app, options, state, uri, new HttpClient { Timeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>
    /// Stops answering, as PMS does while it restarts: open connections (websockets included) are cut, new ones are
    /// refused. The library stays; albums added meanwhile are scanned and announced to nobody.
    /// </summary>
    public async Task StopServingAsync()
    {
        await _serving.WaitAsync();
        try
        {
            if (_app is { } app)
            {
                _app = null;
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            _serving.Release();
        }
    }

    /// <summary>Starts answering again on the same address (the end of a restart).</summary>
    public async Task StartServingAsync(CancellationToken cancellationToken = default)
    {
        await _serving.WaitAsync(cancellationToken);
        try
        {
            _app ??= await StartAppAsync(_state, BaseUri.Port, cancellationToken);
        }
        finally
        {
            _serving.Release();
        }
    }

    private static async Task<WebApplication> StartAppAsync(EmulatorState state, int port, CancellationToken cancellationToken)
    {
        var options = state.Options;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(PlexEmulatorServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (IPAddress.TryParse(options.Host, out var ip))
            {
                kestrel.Listen(ip, port);
            }
            else
            {
                kestrel.ListenAnyIP(port);
            }
        });
        builder.Services.AddSingleton(state);
        // A library must not take over the process's Ctrl+C/SIGTERM handling; the host program decides when to stop.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        // With a timeout set, the keep-alive frames are PINGs the client must answer (PMS pings its clients, §9b).
        app.UseWebSockets(new WebSocketOptions
        {
            KeepAliveInterval = options.Notifications.PingInterval,
            KeepAliveTimeout = options.Notifications.PingTimeout,
        });
        app.UseRouting();
        app.UseMiddleware<EmulatorMiddleware>();
        app.MapPlexEndpoints();
        app.MapNotifications();
        await app.StartAsync(cancellationToken);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        // Harnesses may share one server and each dispose it.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _webhookClient.Dispose();
        await StopServingAsync();
        await _state.Notifications.DisposeAsync();
        _serving.Dispose();
    }
}

/// <summary>Everything the endpoints share, one per server.</summary>
internal sealed class EmulatorState
{
    public EmulatorState(EmulatorOptions options, EmulatedLibrary library, EmulatorCounters counters)
    {
        Options = options;
        Library = library;
        Counters = counters;
        MachineIdentifier = Names.Hex(options.Seed, 0, 200, 40);
        Notifications = new NotificationHub(this);
    }

    public EmulatorOptions Options { get; }

    public EmulatedLibrary Library { get; }

    public EmulatorCounters Counters { get; }

    /// <summary>The notification websocket; outlives restarts of the HTTP side.</summary>
    public NotificationHub Notifications { get; }

    public string MachineIdentifier { get; }

    /// <summary>A recent PMS version string; clients only display it.</summary>
    public const string PmsVersion = "1.41.3.9314-a0bfb8370";

    public string Version => Options.Version;

    private readonly Lock _writerLock = new();
    private long _writerFreeAt;

    /// <summary>
    /// PMS writes ratings through one SQLite writer; this models it when asked to. Books <paramref name="cost"/> of the
    /// writer's time after whatever it has booked already and returns how long until this write is done.
    /// </summary>
    public TimeSpan ReserveWriter(TimeSpan cost, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        lock (_writerLock)
        {
            var now = time.GetTimestamp();
            var start = Math.Max(now, _writerFreeAt);
            _writerFreeAt = start + (long)(cost.TotalSeconds * time.TimestampFrequency);
            return TimeSpan.FromSeconds((_writerFreeAt - now) / (double)time.TimestampFrequency);
        }
    }

    public SortCache SortCache { get; } = new();

    /// <summary>Matched items of filtered listings (see <see cref="FilterCache"/>).</summary>
    public FilterCache FilterCache { get; } = new();
}

/// <summary>A host lifetime that listens to no signals.</summary>
internal sealed class PassiveLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
