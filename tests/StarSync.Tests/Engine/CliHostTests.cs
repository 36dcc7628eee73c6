using StarSync.PlexEmulator;
using StarSync.Tests.Crash;

namespace StarSync.Tests.Engine;

/// <summary>
/// The CLI verbs run on a host of their own, without the web server: run as a real process (dotnet StarSync.dll), a
/// verb does its work end to end against the emulator and never loads Kestrel, Razor Pages or the auth stack (that
/// is what keeps a 1M-track rate --all within its memory budget, docs/benchmarks.md).
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliHostTests : IAsyncLifetime
{
    private static readonly string[] WebAssemblies =
    [
        "Microsoft.AspNetCore.Server.Kestrel.Core",
        "Microsoft.AspNetCore.Mvc.RazorPages",
        "Microsoft.AspNetCore.Antiforgery",
        "Microsoft.AspNetCore.Authentication.Cookies",
        "Microsoft.AspNetCore.Routing",
    ];

    private PlexEmulatorServer _plex = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-cli-host-").FullName;

    public async Task InitializeAsync() => _plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 300, Seed = 5 });

    public async Task DisposeAsync()
    {
        await _plex.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Output, string[] Loaded)> RunAsync(params string[] args)
    {
        var list = Path.Combine(_dir, "assemblies.txt");
        File.Delete(list);
        var environment = new Dictionary<string, string>
        {
            ["PLEX_URL"] = _plex.BaseUri.ToString(),
            ["PLEX_TOKEN"] = _plex.Token,
            ["CONFIG_DIR"] = Path.Combine(_dir, "config"),
            ["LOGS_DIR"] = Path.Combine(_dir, "logs"),
            ["DOTENV_PATH"] = Path.Combine(_dir, "none.env"),
            ["LIBRARY_NAME"] = "Music",
            ["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location,
            [StartupHook.ListVariable] = list,
        };
        using var child = ChildProcess.Start(environment, _dir, args);
        var code = await child.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(File.Exists(list), $"the startup hook wrote no assembly list:\n{child.Output}");
        return (code, child.Output, await File.ReadAllLinesAsync(list));
    }

    [Fact]
    public async Task Rate_all_as_a_process_rates_every_unrated_track_without_loading_the_web_server()
    {
        var section = _plex.Library.Sections[0].Key;
        var unrated = _plex.Library.CountUnrated(section);
        Assert.True(unrated > 0);

        var (code, output, loaded) = await RunAsync("rate", "--all");

        Assert.True(code == 0, output);
        Assert.Contains($"Rated {unrated}", output, StringComparison.Ordinal);
        Assert.Equal(0, _plex.Library.CountUnrated(section));
        Assert.Contains("StarSync", loaded);
        Assert.Contains("Microsoft.Extensions.Hosting", loaded);
        Assert.Empty(loaded.Intersect(WebAssemblies));
    }

    [Fact]
    public async Task Rules_preview_as_a_process_writes_nothing_and_loads_no_web_server()
    {
        var (code, output, loaded) = await RunAsync("rules", "preview");

        Assert.True(code == 0, output);
        Assert.Contains("Music", output, StringComparison.Ordinal);
        Assert.Equal(0, _plex.Counters.RatingWrites);
        Assert.Empty(loaded.Intersect(WebAssemblies));
    }
}
