using Microsoft.Extensions.Configuration;
using StarSync.Cli;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Engine;

[Trait("Category", "Integration")]
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
        }), CancellationToken.None);
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
    [InlineData("undo", "--job", "3", "--all")]
    [InlineData("clear")]
    [InlineData("jobs", "--limit", "-1")]
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

    [Theory]
    [InlineData("clear", "--confirm", "--dryrun")]
    [InlineData("rate", "--all", "--dryrun")]
    [InlineData("rate", "--all", "extra")]
    [InlineData("undo", "--all", "--force")]
    public async Task Unknown_option_is_an_error_with_exit_two_and_the_verbs_usage_and_changes_nothing(params string[] args)
    {
        var (code, output, error) = await Run(args);

        Assert.Equal(CommandLine.Usage, code);
        Assert.StartsWith("starsync: ", error);
        Assert.Contains(args[^1], error);                 // names what it did not understand
        Assert.Contains($"{args[0]} [options]", error);   // and shows the usage of the verb that was meant
        Assert.Equal("", output);
        Assert.Equal(0, _plex.Counters.RatingWrites);
    }

    [Fact]
    public async Task Unknown_verb_is_an_error_with_exit_two_and_the_list_of_verbs()
    {
        Assert.True(CommandLine.IsCommand(["rat", "--all"]));

        var (code, _, error) = await Run("rat", "--all");

        Assert.Equal(CommandLine.Usage, code);
        Assert.Contains("'rat'", error);
        Assert.Contains("libraries", error);
        Assert.Equal(0, _plex.Counters.RatingWrites);
    }

    [Theory]
    [InlineData("rate", "--recent")]
    [InlineData("undo", "--job")]
    [InlineData("clear", "--confirm")]
    [InlineData("jobs", "--limit")]
    public async Task Help_per_verb_describes_its_options_and_runs_nothing(string verb, string option)
    {
        var (code, output, _) = await Run(verb, "--help");

        Assert.Equal(CommandLine.Ok, code);
        Assert.Contains(option, output);
        Assert.Equal(0, _plex.Counters.RatingWrites);
        Assert.False(File.Exists(Path.Combine(_dir, "starsync.db")));   // no host was even built
    }

    [Fact]
    public async Task Help_lists_every_verb_and_the_exit_codes()
    {
        var (code, output, _) = await Run("--help");

        Assert.Equal(CommandLine.Ok, code);
        foreach (var verb in new[] { "rate", "undo", "clear", "libraries", "jobs" })
        {
            Assert.Contains(verb, output);
        }

        Assert.Contains("130 cancelled", output);
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--demo" }, false)]
    [InlineData(new[] { "--urls", "http://+:5000" }, false)]
    [InlineData(new[] { "urls=http://+:5000" }, false)]
    [InlineData(new[] { "jobs" }, true)]
    [InlineData(new[] { "--help" }, true)]
    public void Only_a_word_or_help_is_a_command_options_start_the_web_app(string[] args, bool expected) =>
        Assert.Equal(expected, CommandLine.IsCommand(args));
}
