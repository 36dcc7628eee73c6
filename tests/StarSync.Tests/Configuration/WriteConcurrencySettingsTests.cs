using Microsoft.Extensions.Configuration;
using StarSync.Configuration;

namespace StarSync.Tests.Configuration;

/// <summary>WRITE_CONCURRENCY: auto (the default) or a pinned 1..32, from the environment and settings.json.</summary>
[Trait("Category", "Unit")]
public sealed class WriteConcurrencySettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("starsync-concurrency-").FullName;

    private string SettingsFile => Path.Combine(_dir, "settings.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IConfiguration Env(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => (string?)v.Value)).Build();

    [Fact]
    public void Auto_is_the_default_and_a_number_pins_it()
    {
        Assert.Equal(StarSyncSettings.AutoWriteConcurrency, SettingsLoader.Load(Env(), SettingsFile).WriteConcurrency);
        Assert.Equal(StarSyncSettings.AutoWriteConcurrency, SettingsLoader.Load(Env(("WRITE_CONCURRENCY", " Auto ")), SettingsFile).WriteConcurrency);
        Assert.Equal(8, SettingsLoader.Load(Env(("WRITE_CONCURRENCY", "8")), SettingsFile).WriteConcurrency);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("0")]
    [InlineData("33")]
    [InlineData("-2")]
    public void Anything_else_stops_start_up_naming_the_variable_and_what_it_takes(string value)
    {
        var ex = Assert.Throws<StartupConfigurationException>(() => SettingsLoader.Load(Env(("WRITE_CONCURRENCY", value)), SettingsFile));

        Assert.Contains($"WRITE_CONCURRENCY '{value}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("WRITE_CONCURRENCY=auto", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_is_saved_as_auto_and_read_back()
    {
        var auto = SettingsLoader.Load(Env(), SettingsFile);
        await SettingsLoader.SaveAsync(auto, SettingsFile, CancellationToken.None);
        Assert.Contains("\"write_concurrency\": \"auto\"", File.ReadAllText(SettingsFile), StringComparison.Ordinal);
        Assert.Equal(StarSyncSettings.AutoWriteConcurrency, SettingsLoader.Load(Env(("WRITE_CONCURRENCY", "4")), SettingsFile).WriteConcurrency);

        await SettingsLoader.SaveAsync(auto with { WriteConcurrency = 6 }, SettingsFile, CancellationToken.None);
        Assert.Equal(6, SettingsLoader.Load(Env(), SettingsFile).WriteConcurrency);
    }
}
