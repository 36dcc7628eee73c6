using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace StarSync.Tests.Configuration;

/// <summary>Start-up configuration: every problem in one round, nothing written while composing, bad environments stop cleanly.</summary>
[Trait("Category", "Integration")]
public sealed class ConfigurationPipelineTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("starsync-config-").FullName;

    private string ConfigDir => Path.Combine(_root, "config");

    public void Dispose()
    {
        Unfreeze(ConfigDir);
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Runs the app as Program does (exit code, "starsync: ..." lines), with test configuration.</summary>
    private async Task<(int ExitCode, string[] Lines)> RunAsync(Dictionary<string, string?> extra)
    {
        var config = TestHost.Create().Config(extra).ConfigurationFor(_root);

        using var error = new StringWriter();
        var exit = await StarSyncApp.RunAsync(["--contentRoot", TestHost.ContentRoot], error, builder =>
        {
            ((Microsoft.AspNetCore.Builder.WebApplicationBuilder)builder).WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(config);
        });
        return (exit, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Several_bad_variables_are_all_reported_in_one_run_each_naming_its_variable()
    {
        var (exit, lines) = await RunAsync(new()
        {
            ["PLEX_URL"] = "ftp://plex",
            ["PLEX_PAGE_SIZE"] = "5000",
            ["PORT"] = "99999",
            ["TRUSTED_PROXIES"] = "not-a-network",
            ["URL_BASE"] = "/a b",
            ["RATING_STYLE"] = "7stars",
            ["APP_PASSWORD"] = "",
            ["WEBHOOK_DEBOUNCE_SECONDS"] = "soon",
        });

        Assert.Equal(2, exit);
        Assert.All(lines, line => Assert.StartsWith("starsync: ", line, StringComparison.Ordinal));
        foreach (var variable in new[] { "PLEX_URL", "PLEX_PAGE_SIZE", "PORT", "TRUSTED_PROXIES", "URL_BASE", "RATING_STYLE", "APP_PASSWORD", "WEBHOOK_DEBOUNCE_SECONDS" })
        {
            Assert.Contains(lines, line => line.StartsWith($"starsync: {variable}", StringComparison.Ordinal)
                || (variable == "APP_PASSWORD" && line.Contains("Missing: APP_PASSWORD", StringComparison.Ordinal)));
        }

        // Allowed values are named, not only the variable.
        Assert.Contains(lines, line => line.Contains("1 to 65535", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("5stars_half", StringComparison.Ordinal));
        Assert.False(Directory.Exists(ConfigDir), "a failed start wrote into CONFIG_DIR");
    }

    [Fact]
    public async Task Building_the_host_writes_nothing_and_starting_it_creates_private_settings()
    {
        var app = TestHost.Create().Build(_root);
        try
        {
            Assert.False(Directory.Exists(ConfigDir), "composing services created CONFIG_DIR");
            Assert.False(Directory.Exists(Path.Combine(_root, "logs")), "composing services created LOGS_DIR");

            await app.StartAsync();

            Assert.True(File.Exists(Path.Combine(ConfigDir, "settings.json")));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(ConfigDir, "settings.json")));
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Settings_file_that_is_a_directory_stops_start_up_naming_the_path()
    {
        Directory.CreateDirectory(Path.Combine(ConfigDir, "settings.json"));

        var (exit, lines) = await RunAsync([]);

        Assert.Equal(2, exit);
        var line = Assert.Single(lines);
        Assert.Contains(Path.Combine(ConfigDir, "settings.json"), line, StringComparison.Ordinal);
        Assert.Contains("is a directory", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x6C, 0x69, 0x62, 0x72, 0x61, 0x72, 0x69, 0x65, 0x73, 0x22, 0x3A, 0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D, 0x7D }, "not UTF-8")]
    [InlineData(new byte[] { 0x7B, 0x20, 0x6E, 0x6F, 0x74 }, "not valid JSON")]
    public async Task Unreadable_settings_file_stops_start_up_naming_the_path_and_the_fix(byte[] content, string problem)
    {
        Directory.CreateDirectory(ConfigDir);
        await File.WriteAllBytesAsync(Path.Combine(ConfigDir, "settings.json"), content);

        var (exit, lines) = await RunAsync([]);

        Assert.Equal(2, exit);
        var line = Assert.Single(lines);
        Assert.Contains(Path.Combine(ConfigDir, "settings.json"), line, StringComparison.Ordinal);
        Assert.Contains(problem, line, StringComparison.Ordinal);
        Assert.Contains("delete it", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_only_config_dir_stops_start_up_naming_the_path_and_the_fix()
    {
        Directory.CreateDirectory(ConfigDir);
        if (OperatingSystem.IsWindows())
        {
            return; // POSIX permissions
        }

        Freeze(ConfigDir);

        var (exit, lines) = await RunAsync([]);

        Assert.Equal(2, exit);
        var line = Assert.Single(lines);
        Assert.StartsWith($"starsync: CONFIG_DIR {ConfigDir} is not writable", line, StringComparison.Ordinal);
        Assert.Contains("PUID:PGID", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_dir_that_cannot_be_created_stops_start_up_naming_the_path()
    {
        var file = Path.Combine(_root, "not-a-folder");
        await File.WriteAllTextAsync(file, "x");

        var (exit, lines) = await RunAsync(new() { ["CONFIG_DIR"] = Path.Combine(file, "config") });

        Assert.Equal(2, exit);
        Assert.Contains(lines, line => line.StartsWith($"starsync: CONFIG_DIR {Path.Combine(file, "config")} cannot be created", StringComparison.Ordinal));
    }

    // chmod is enough for a normal user; root ignores it, but not the immutable flag.
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Freeze(string directory)
    {
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        if (Environment.IsPrivilegedProcess)
        {
            Chattr("+i", directory);
        }

        Assert.Throws<UnauthorizedAccessException>(() => File.WriteAllText(Path.Combine(directory, "probe"), "x"));
    }

    private static void Unfreeze(string directory)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(directory))
        {
            return;
        }

        if (Environment.IsPrivilegedProcess)
        {
            Chattr("-i", directory);
        }

        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void Chattr(string flag, string path)
    {
        using var process = System.Diagnostics.Process.Start("chattr", [flag, path]);
        process.WaitForExit();
    }
}
