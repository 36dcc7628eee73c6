using System.Runtime.Versioning;
using StarSync.Configuration;
using StarSync.Demo;

namespace StarSync.Tests.Configuration;

/// <summary>Everything StarSync writes is owner-only: files 0600, folders 0700, from the moment they exist.</summary>
[UnsupportedOSPlatform("windows")]
[Trait("Category", "Integration")]
public sealed class PrivateFilesTests
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task Journal_with_wal_and_shm_sessions_settings_keys_and_logs_are_owner_only()
    {
        await using var app = await TestHost.Create().StartAsync();
        using var client = await app.CreateLoggedInClientAsync(); // a session row, a key ring
        var config = app.ConfigDirectory;
        await Eventually.TrueAsync(() => Directory.GetFiles(app.LogsDirectory).Length > 0, "log file exists");
        // SQLite removes -wal and -shm when the last connection closes; one held open here keeps them (made by SQLite,
        // with the journal's mode) while they are checked.
        await using var journal = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(config, "starsync.db")};Pooling=False");
        await journal.OpenAsync();
        await using (var read = journal.CreateCommand())
        {
            read.CommandText = "SELECT COUNT(*) FROM jobs;";
            await read.ExecuteScalarAsync();
        }

        foreach (var folder in new[] { config, Path.Combine(config, "keys"), app.LogsDirectory })
        {
            Assert.True(File.GetUnixFileMode(folder) == OwnerFolder, $"{folder} is {File.GetUnixFileMode(folder)}");
        }

        var files = new[] { "settings.json", "starsync.db", "starsync.db-wal", "starsync.db-shm", "sessions.db" }.Select(f => Path.Combine(config, f))
            .Concat(Directory.GetFiles(Path.Combine(config, "keys")))
            .Concat(Directory.GetFiles(app.LogsDirectory));
        foreach (var file in files)
        {
            Assert.True(File.GetUnixFileMode(file) == OwnerFile, $"{file} is {File.GetUnixFileMode(file)}");
        }
    }

    [Fact]
    public void Temporary_settings_file_is_owner_only_before_anything_is_written_to_it()
    {
        var dir = Directory.CreateTempSubdirectory("starsync-private-").FullName;
        try
        {
            var temp = Path.Combine(dir, "settings.json.tmp");
            File.WriteAllText(temp, "stale, world-readable");
            File.SetUnixFileMode(temp, OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            using (PrivateFiles.CreateNew(temp))
            {
                Assert.Equal(OwnerFile, File.GetUnixFileMode(temp));
                Assert.Equal(0, new FileInfo(temp).Length);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_mode_keeps_its_state_in_CONFIG_DIR_and_LOGS_DIR_when_they_are_set()
    {
        var root = Directory.CreateTempSubdirectory("starsync-demo-dirs-").FullName;
        try
        {
            var config = Path.Combine(root, "my-config");
            var logs = Path.Combine(root, "my-logs");
            await using (var demo = await DemoMode.StartAsync(["--urls", "http://127.0.0.1:0", "--CONFIG_DIR", config, "--LOGS_DIR", logs], Path.Combine(root, "demo"), CancellationToken.None))
            {
                Assert.Equal(config, demo.DataDirectory);
                await Eventually.TrueAsync(() => Directory.Exists(logs) && Directory.GetFiles(logs).Length > 0, "demo log in LOGS_DIR");
            }

            Assert.True(File.Exists(Path.Combine(config, "settings.json")));
            Assert.True(File.Exists(Path.Combine(config, "starsync.db")));
            Assert.False(Directory.Exists(Path.Combine(root, "demo", "config")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
