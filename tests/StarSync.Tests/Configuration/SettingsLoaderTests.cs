using Microsoft.Extensions.Configuration;
using StarSync.Configuration;
using StarSync.Rating;

namespace StarSync.Tests.Configuration;

[Trait("Category", "Unit")]
public sealed class SettingsLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-settings-").FullName;

    private string SettingsFile => Path.Combine(_dir, "settings.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IConfiguration Env(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact]
    public void Load_reads_the_old_tool_variables()
    {
        var settings = SettingsLoader.Load(Env(
            ("LIBRARY_NAME", "Music, Live Music"), ("RATING_STYLE", "5stars_half"), ("TARGET_RATING", "3.5"),
            ("OVERRIDE_RATING", "true"), ("BATCH_INTERVAL_MINUTES", "15"), ("BATCH_SIZE", "200")), SettingsFile);

        Assert.Equal(["Music", "Live Music"], settings.Libraries);
        Assert.Equal(RatingStyle.FiveStarsHalf, settings.RatingStyle);
        Assert.Equal(7, settings.PlexTarget);
        Assert.True(settings.OverrideRating);
        Assert.Equal(15, settings.BatchIntervalMinutes);
        Assert.Equal(200, settings.BatchSize);
        Assert.NotEmpty(settings.WebhookSecret);
        Assert.NotEmpty(settings.ApiKey);
    }

    [Theory]
    [InlineData("RATING_STYLE", "7stars")]
    [InlineData("TARGET_RATING", "three")]
    [InlineData("TARGET_RATING", "9")]
    [InlineData("OVERRIDE_RATING", "maybe")]
    [InlineData("PLEX_NOTIFICATIONS", "sometimes")]
    [InlineData("BATCH_SIZE", "lots")]
    [InlineData("BATCH_SIZE", "0")]
    [InlineData("BATCH_INTERVAL_MINUTES", "-5")]
    [InlineData("WRITE_CONCURRENCY", "100")]
    [InlineData("WEBHOOK_SECRET", "abc")]
    public void Load_invalid_value_stops_start_up_naming_the_variable(string name, string value)
    {
        var ex = Assert.Throws<StartupConfigurationException>(() => SettingsLoader.Load(Env((name, value)), SettingsFile));
        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public async Task Plex_notifications_are_on_by_default_off_by_env_and_saved_with_the_settings()
    {
        Assert.True(SettingsLoader.Load(Env(), SettingsFile).PlexNotifications);
        var off = SettingsLoader.Load(Env(("PLEX_NOTIFICATIONS", "false")), SettingsFile);
        Assert.False(off.PlexNotifications);

        await SettingsLoader.SaveAsync(off, SettingsFile, CancellationToken.None);

        Assert.Contains("\"plex_notifications\": false", File.ReadAllText(SettingsFile), StringComparison.Ordinal);
        Assert.False(SettingsLoader.Load(Env(("PLEX_NOTIFICATIONS", "true")), SettingsFile).PlexNotifications);
    }

    [Fact]
    public void Load_reads_a_settings_file_written_by_the_old_tool_and_it_wins_over_env()
    {
        File.WriteAllText(SettingsFile, """
            {
              "libraries": ["Live Music"],
              "rating_style": "5stars",
              "rating_value": 4.0,
              "override_rating": false,
              "batch_interval_minutes": 30
            }
            """);

        var settings = SettingsLoader.Load(Env(("LIBRARY_NAME", "Music"), ("TARGET_RATING", "2")), SettingsFile);

        Assert.Equal(["Live Music"], settings.Libraries);
        Assert.Equal(8, settings.PlexTarget);
        Assert.Equal(30, settings.BatchIntervalMinutes);
    }

    [Fact]
    public void Load_broken_settings_file_names_the_file()
    {
        File.WriteAllText(SettingsFile, "{ not json");
        var ex = Assert.Throws<StartupConfigurationException>(() => SettingsLoader.Load(Env(), SettingsFile));
        Assert.Contains("settings.json", ex.Message);
    }

    [Fact]
    public async Task SaveAsync_round_trips_and_leaves_no_temp_file()
    {
        var settings = SettingsLoader.Load(Env(("RATING_STYLE", "1star"), ("TARGET_RATING", "0")), SettingsFile);
        await SettingsLoader.SaveAsync(settings, SettingsFile, CancellationToken.None);

        var again = SettingsLoader.Load(Env(), SettingsFile);

        Assert.Equal(settings.RatingStyle, again.RatingStyle);
        Assert.Equal(0, again.PlexTarget);
        Assert.Equal(settings.WebhookSecret, again.WebhookSecret);
        Assert.Equal(settings.ApiKey, again.ApiKey);
        Assert.Equal(["settings.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void DotEnv_parses_comments_quotes_and_export()
    {
        var data = DotEnvConfigurationSource.Parse([
            "# comment", "PLEX_URL=http://plex:32400", "export PLEX_TOKEN='abc def'", "LIBRARY_NAME=\"Music, Live\"",
            "TARGET_RATING=3 # three stars", "BROKEN LINE", ""]);

        Assert.Equal("http://plex:32400", data["PLEX_URL"]);
        Assert.Equal("abc def", data["PLEX_TOKEN"]);
        Assert.Equal("Music, Live", data["LIBRARY_NAME"]);
        Assert.Equal("3", data["TARGET_RATING"]);
        Assert.Equal(4, data.Count);
    }
}
