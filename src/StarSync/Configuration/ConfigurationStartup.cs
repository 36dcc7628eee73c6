using Microsoft.Extensions.Options;

namespace StarSync.Configuration;

/// <summary>
/// The start-up step of configuration, after validation and before anything else runs: creates CONFIG_DIR, its keys
/// folder and LOGS_DIR owner-only, writes settings.json when it is new or a secret was generated or replaced, and
/// logs where each secret came from (never the value). A folder that cannot be written stops start-up with a message
/// naming the path and the fix.
/// </summary>
internal sealed partial class ConfigurationStartup(
    StarSyncPaths paths, SettingsStore store, IOptionsMonitor<StartupSettings> startup, ILogger<ConfigurationStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Prepare(paths);
        var settings = startup.CurrentValue;
        if (settings.MustSave)
        {
            try
            {
                await store.SaveAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new StartupConfigurationException(
                    $"{paths.SettingsFile} cannot be written ({ex.Message}): make CONFIG_DIR {paths.ConfigDirectory} writable by the user StarSync runs as (Docker: PUID:PGID), or set CONFIG_DIR to a writable folder.", ex);
            }
        }

        LogSecretSource(logger, "Webhook secret", "WEBHOOK_SECRET", store.WebhookSecretSource.ToName());
        LogSecretSource(logger, "API key", "API_KEY", store.ApiKeySource.ToName());
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Creates the folders StarSync writes (owner-only); also used by the CLI, which does not start the host.</summary>
    public static void Prepare(StarSyncPaths paths)
    {
        Create("CONFIG_DIR", paths.ConfigDirectory, paths.ConfigDirectory);
        Create("CONFIG_DIR", paths.ConfigDirectory, paths.KeysDirectory);
        Create("LOGS_DIR", paths.LogsDirectory, paths.LogsDirectory);
    }

    private static void Create(string variable, string root, string path)
    {
        try
        {
            PrivateFiles.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupConfigurationException(
                $"{path} cannot be created ({ex.Message}): make {variable} {root} a folder writable by the user StarSync runs as (Docker: PUID:PGID), or set {variable} to one.", ex);
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "{Secret} in force comes from {Source} (set {Variable} to replace it)")]
    private static partial void LogSecretSource(ILogger logger, string secret, string variable, string source);
}
