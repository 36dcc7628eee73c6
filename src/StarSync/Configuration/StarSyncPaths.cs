namespace StarSync.Configuration;

/// <summary>Where StarSync keeps its state: settings, journal, keys (CONFIG_DIR, default ./config) and logs (LOGS_DIR, default ./logs, as the old tool).</summary>
public sealed class StarSyncPaths
{
    public StarSyncPaths(IConfiguration configuration)
    {
        ConfigDirectory = Path.GetFullPath(NonEmpty(configuration["CONFIG_DIR"]) ?? "config");
        LogsDirectory = Path.GetFullPath(NonEmpty(configuration["LOGS_DIR"]) ?? "logs");
    }

    /// <summary>Settings, journal database and Data Protection keys live here.</summary>
    public string ConfigDirectory { get; }

    /// <summary>Rolling log files (starsync.log) live here.</summary>
    public string LogsDirectory { get; }

    /// <summary>The runtime settings file (same name and place as the old tool's).</summary>
    public string SettingsFile => Path.Combine(ConfigDirectory, "settings.json");

    /// <summary>The SQLite journal of jobs and changes.</summary>
    public string JournalFile => Path.Combine(ConfigDirectory, "starsync.db");

    /// <summary>Persisted Data Protection keys, so login sessions survive a restart.</summary>
    public string KeysDirectory => Path.Combine(ConfigDirectory, "keys");

    /// <summary>The main log file.</summary>
    public string LogFile => Path.Combine(LogsDirectory, "starsync.log");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
