using StarSync.PlexEmulator;

namespace StarSync.Tests.Plex;

/// <summary>One emulated PMS (2500 tracks, two music libraries, 10 % hand-rated) shared by the read-only tests of a class.</summary>
public sealed class PlexEmulatorFixture : IAsyncLifetime
{
    public PlexEmulatorServer Plex { get; private set; } = null!;

    public EmulatorOptions Options { get; } = new() { Tracks = 2500, Seed = 1, HandRatedShare = 0.1, MusicLibraries = 2 };

    public async Task InitializeAsync() => Plex = await PlexEmulatorServer.StartAsync(Options);

    public async Task DisposeAsync() => await Plex.DisposeAsync();
}
