using StarSync.PlexEmulator;

namespace StarSync.Tests.Emulator;

/// <summary>One read-only emulator for tests that do not change state.</summary>
public sealed class SharedEmulatorFixture : IAsyncLifetime
{
    public PlexEmulatorServer Server { get; private set; } = null!;

    public HttpClient Xml { get; private set; } = null!;

    public HttpClient Json { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await EmulatorTestHost.StartAsync(o =>
        {
            o.MusicLibraries = 2;
            o.HandRatedShare = 0.3;
        }, tracks: 900);
        Xml = EmulatorTestHost.Client(Server);
        Json = EmulatorTestHost.Client(Server, json: true);
    }

    public async Task DisposeAsync()
    {
        Xml.Dispose();
        Json.Dispose();
        await Server.DisposeAsync();
    }
}
