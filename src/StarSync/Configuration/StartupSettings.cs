using Microsoft.Extensions.Options;

namespace StarSync.Configuration;

/// <summary>Where a secret in force came from (logged at start, shown in Settings; never the value).</summary>
public enum SecretSource
{
    /// <summary>WEBHOOK_SECRET / API_KEY in the environment or .env: it wins, and the UI cannot replace it.</summary>
    Environment,

    /// <summary>Stored in settings.json (generated earlier, or regenerated in the UI).</summary>
    SettingsFile,

    /// <summary>Made on this start; saved to settings.json by the start-up step.</summary>
    Generated,
}

/// <summary>The settings as start-up read them from the environment, .env and settings.json, with the problems found.</summary>
public sealed class StartupSettings
{
    /// <summary>The settings in force at start.</summary>
    public StarSyncSettings Settings { get; set; } = new();

    /// <summary>Where the webhook secret came from.</summary>
    public SecretSource WebhookSecretSource { get; set; }

    /// <summary>Where the API key came from.</summary>
    public SecretSource ApiKeySource { get; set; }

    /// <summary>settings.json is missing, or a secret was generated or replaced from the environment: the start-up step writes it.</summary>
    public bool MustSave { get; set; }

    /// <summary>The settings (<see cref="SettingField.Key"/>) whose variable is set in the environment or .env.</summary>
    public HashSet<string> SetInEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The settings (<see cref="SettingField.Key"/>) settings.json held a value for at start.</summary>
    public HashSet<string> SetInFile { get; } = new(StringComparer.Ordinal);

    /// <summary>What could not be read, each naming the variable or the file and the fix.</summary>
    internal List<string> Problems { get; } = [];
}

/// <summary>Reports every problem of the settings in one round at start.</summary>
internal sealed class StartupSettingsValidator : IValidateOptions<StartupSettings>
{
    public ValidateOptionsResult Validate(string? name, StartupSettings options) =>
        options.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Problems);
}

/// <summary>Human names of <see cref="SecretSource"/>, as logs and the UI say them.</summary>
public static class SecretSourceNames
{
    /// <summary>"environment", "settings.json" or "generated".</summary>
    public static string ToName(this SecretSource source) => source switch
    {
        SecretSource.Environment => "environment",
        SecretSource.SettingsFile => "settings.json",
        _ => "generated",
    };
}
