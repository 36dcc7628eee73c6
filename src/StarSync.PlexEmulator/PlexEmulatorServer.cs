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
    private readonly WebApplication _app;
    private readonly HttpClient _webhookClient;

    private PlexEmulatorServer(WebApplication app, EmulatorOptions options, EmulatorState state, Uri baseUri, HttpClient webhookClient)
    {
        _app = app;
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

    /// <summary>The server's machineIdentifier, as /identity reports it.</summary>
    public string MachineIdentifier { get; }

    /// <summary>Generates the library and starts listening.</summary>
    public static async Task<PlexEmulatorServer> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var library = EmulatedLibrary.Create(options);
        var state = new EmulatorState(options, library, new EmulatorCounters());

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
                kestrel.Listen(ip, options.Port);
            }
            else
            {
                kestrel.ListenAnyIP(options.Port);
            }
        });
        builder.Services.AddSingleton(state);
        // A library must not take over the process's Ctrl+C/SIGTERM handling; the host program decides when to stop.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();

        var app = builder.Build();
        app.UseRouting();
        app.UseMiddleware<EmulatorMiddleware>();
        app.MapPlexEndpoints();
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address.EndsWith('/') ? address : address + "/");
        if (uri.Host is "0.0.0.0" or "[::]")
        {
            uri = new UriBuilder(uri) { Host = "127.0.0.1" }.Uri;
        }

        return new PlexEmulatorServer(app, options, state, uri, new HttpClient { Timeout = TimeSpan.FromSeconds(30) });
    }

    public async ValueTask DisposeAsync()
    {
        _webhookClient.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Everything the endpoints share, one per server.</summary>
internal sealed class EmulatorState(EmulatorOptions options, EmulatedLibrary library, EmulatorCounters counters)
{
    public EmulatorOptions Options { get; } = options;

    public EmulatedLibrary Library { get; } = library;

    public EmulatorCounters Counters { get; } = counters;

    public string MachineIdentifier { get; } = Names.Hex(options.Seed, 0, 200, 40);

    /// <summary>A recent PMS version string; clients only display it.</summary>
    public const string PmsVersion = "1.41.3.9314-a0bfb8370";

    public string Version => Options.Version;

    /// <summary>PMS writes ratings through one SQLite writer; this models it when asked to.</summary>
    public SemaphoreSlim WriteGate { get; } = new(1, 1);

    public SortCache SortCache { get; } = new();
}

/// <summary>A host lifetime that listens to no signals.</summary>
internal sealed class PassiveLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
