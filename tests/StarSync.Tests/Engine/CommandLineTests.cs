using Microsoft.Extensions.Configuration;
using StarSync.Cli;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

public sealed class CommandLineTests : IAsyncLifetime
{
    private PlexEmulatorServer _plex = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-cli-").FullName;

    public async Task InitializeAsync() => _plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 300, Seed = 5 });

    public async Task DisposeAsync()
    {
        await _plex.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CommandLine.RunAsync(args, output, error, b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PLEX_URL"] = _plex.BaseUri.ToString(),
            ["PLEX_TOKEN"] = _plex.Token,
            ["CONFIG_DIR"] = _dir,
            ["LOGS_DIR"] = Path.Combine(_dir, "logs"),
            ["DOTENV_PATH"] = Path.Combine(_dir, "none.env"),
            ["LIBRARY_NAME"] = "Music",
        }), EngineHarness.TestTimeout());
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Rate_all_succeeds_with_exit_code_zero_and_reports_counts()
    {
        var unrated = _plex.Library.CountUnrated(_plex.Library.Sections[0].Key);

        var (code, output, _) = await Run("rate", "--all");

        Assert.Equal(CommandLine.Ok, code);
        Assert.Contains($"Rated {unrated}", output);
        Assert.Equal(0, _plex.Library.CountUnrated(_plex.Library.Sections[0].Key));
    }

    [Fact]
    public async Task Rate_dry_run_then_undo_and_jobs_list()
    {
        Assert.Equal(CommandLine.Ok, (await Run("rate", "--recent", "20", "--dry-run")).Code);
        Assert.Equal(0, _plex.Counters.RatingWrites);
        Assert.Equal(CommandLine.Ok, (await Run("rate", "--all")).Code);
        Assert.Equal(CommandLine.Ok, (await Run("undo", "--all")).Code);

        var (code, output, _) = await Run("jobs");

        Assert.Equal(CommandLine.Ok, code);
        Assert.Contains("#3", output);
        Assert.Contains("Undo every rating", output);
    }

    [Theory]
    [InlineData("rate", "--recent", "0")]
    [InlineData("rate", "--recent", "x")]
    [InlineData("rate", "--all", "--recent", "5")]
    [InlineData("undo")]
    [InlineData("clear")]
    public async Task Bad_usage_exits_with_two_and_a_message(params string[] args)
    {
        var (code, _, error) = await Run(args);

        Assert.Equal(CommandLine.Usage, code);
        Assert.StartsWith("starsync: ", error);
    }

    [Fact]
    public async Task Plex_refusing_the_token_exits_non_zero_without_leaking_it()
    {
        _plex.Options.Faults.RevokeToken = true;

        var (code, output, error) = await Run("libraries");

        Assert.Equal(CommandLine.JobFailed, code);
        Assert.Contains("PLEX_TOKEN", error);
        Assert.DoesNotContain(_plex.Token, error + output);
    }

    [Fact]
    public async Task Libraries_lists_coverage()
    {
        var (code, output, _) = await Run("libraries");

        Assert.Equal(CommandLine.Ok, code);
        Assert.Contains("* Music", output);
        Assert.Contains("unrated", output);
    }
}
