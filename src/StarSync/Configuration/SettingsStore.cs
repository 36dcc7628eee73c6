using Microsoft.Extensions.Options;

namespace StarSync.Configuration;

/// <summary>
/// The current run-time settings. Updates are validated, saved atomically to settings.json and applied at once:
/// readers always see one consistent snapshot, and subscribers (the scheduler) hear about the change.
/// </summary>
public sealed class SettingsStore : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly StarSyncPaths _paths;
    // Read on first use, not when the store is composed: resolving the store must not run the validation that
    // start-up runs for every options type together.
    private readonly Lazy<StartupSettings> _startup;
    private volatile StarSyncSettings? _current;

    /// <summary>The store of the host, seeded from what start-up read.</summary>
    public SettingsStore(IOptionsMonitor<StartupSettings> startup, StarSyncPaths paths)
    {
        _paths = paths;
        _startup = new Lazy<StartupSettings>(() => startup.CurrentValue);
    }

    /// <summary>A store seeded with <paramref name="initial"/> (secrets counted as stored in settings.json).</summary>
    public SettingsStore(StarSyncSettings initial, StarSyncPaths paths)
    {
        _paths = paths;
        _startup = new Lazy<StartupSettings>(new StartupSettings { Settings = initial, WebhookSecretSource = SecretSource.SettingsFile, ApiKeySource = SecretSource.SettingsFile });
    }

    /// <summary>The settings in force now.</summary>
    public StarSyncSettings Current => _current ?? _startup.Value.Settings;

    /// <summary>Where the webhook secret in force came from.</summary>
    public SecretSource WebhookSecretSource => _startup.Value.WebhookSecretSource == SecretSource.Environment ? SecretSource.Environment : _webhookSecretSource ?? _startup.Value.WebhookSecretSource;

    /// <summary>Where the API key in force came from.</summary>
    public SecretSource ApiKeySource => _startup.Value.ApiKeySource == SecretSource.Environment ? SecretSource.Environment : _apiKeySource ?? _startup.Value.ApiKeySource;

    private SecretSource? _webhookSecretSource;
    private SecretSource? _apiKeySource;

    /// <summary>Raised after a change has been saved and applied.</summary>
    public event Action<StarSyncSettings>? Changed;

    /// <summary>Applies <paramref name="update"/> to the current settings; returns validation errors (nothing is saved) or an empty map.</summary>
    public Task<IReadOnlyDictionary<string, string[]>> UpdateAsync(
        Func<StarSyncSettings, StarSyncSettings> update, CancellationToken cancellationToken) =>
        UpdateAsync(update, new Dictionary<string, string[]>(), cancellationToken);

    /// <summary>
    /// Applies <paramref name="update"/> and checks the result with the settings' rules, naming each setting by its
    /// label; <paramref name="inputErrors"/> (filled by <paramref name="update"/>: fields emptied or unreadable) are
    /// reported with them, in place of a rule's message for the same field. Any error: nothing is saved.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string[]>> UpdateAsync(Func<StarSyncSettings, StarSyncSettings> update,
        IReadOnlyDictionary<string, string[]> inputErrors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(inputErrors);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var next = update(Current);
            var errors = new Dictionary<string, string[]>(next.Validate(SettingNaming.Label), StringComparer.Ordinal);
            foreach (var (key, messages) in inputErrors)
            {
                errors[key] = messages;
            }

            if (errors.Count > 0)
            {
                return errors;
            }

            await SettingsLoader.SaveAsync(next, _paths.SettingsFile, cancellationToken);
            _current = next;
            _savedEverything = true;
        }
        finally
        {
            _writeLock.Release();
        }

        Changed?.Invoke(Current);
        return new Dictionary<string, string[]>();
    }

    /// <summary>
    /// Where each setting's value comes from: settings.json (which wins over the environment), the environment, or the
    /// default. Every save writes every setting to settings.json, so after one all saved settings come from there.
    /// </summary>
    public SettingSource SourceOf(SettingField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var startup = _startup.Value;
        return field.Editable && (_savedEverything || startup.SetInFile.Contains(field.Key)) ? SettingSource.SettingsFile
            : startup.SetInEnvironment.Contains(field.Key) ? SettingSource.Environment
            : SettingSource.Default;
    }

    /// <summary>Whether the setting's environment variable is set (it may be overridden by settings.json).</summary>
    public bool SetInEnvironment(SettingField field) => _startup.Value.SetInEnvironment.Contains(field?.Key ?? "");

    private volatile bool _savedEverything;

    /// <summary>Makes a new webhook secret, unless WEBHOOK_SECRET pins it (then nothing changes and the reason is returned).</summary>
    public async Task<SecretRegeneration> RegenerateWebhookSecretAsync(CancellationToken cancellationToken)
    {
        if (WebhookSecretSource == SecretSource.Environment)
        {
            return SecretRegeneration.Refused(PinnedReason("WEBHOOK_SECRET", "webhook secret"));
        }

        var secret = SettingsLoader.NewSecret();
        await UpdateAsync(s => s with { WebhookSecret = secret }, cancellationToken);
        _webhookSecretSource = SecretSource.SettingsFile;
        return SecretRegeneration.Made(secret);
    }

    /// <summary>Makes a new API key, unless API_KEY pins it (then nothing changes and the reason is returned).</summary>
    public async Task<SecretRegeneration> RegenerateApiKeyAsync(CancellationToken cancellationToken)
    {
        if (ApiKeySource == SecretSource.Environment)
        {
            return SecretRegeneration.Refused(PinnedReason("API_KEY", "API key"));
        }

        var key = SettingsLoader.NewSecret();
        await UpdateAsync(s => s with { ApiKey = key }, cancellationToken);
        _apiKeySource = SecretSource.SettingsFile;
        return SecretRegeneration.Made(key);
    }

    /// <summary>Why a secret set in the environment cannot be replaced from the UI, and what to do instead.</summary>
    public static string PinnedReason(string variable, string what) =>
        $"The {what} is set by {variable} in the environment (or .env), which wins over a new one made here. Change or unset {variable} and restart StarSync.";

    /// <summary>Writes the current settings (first start, or generated secrets that must survive a restart).</summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        await SettingsLoader.SaveAsync(Current, _paths.SettingsFile, cancellationToken);
        _savedEverything = true;
    }

    /// <inheritdoc />
    public void Dispose() => _writeLock.Dispose();
}

/// <summary>The outcome of a secret regeneration: the new value, or why it was refused.</summary>
public sealed record SecretRegeneration(string? Value, string? RefusedReason)
{
    /// <summary>A new secret is in force.</summary>
    public static SecretRegeneration Made(string value) => new(value, null);

    /// <summary>Nothing changed, for <paramref name="reason"/>.</summary>
    public static SecretRegeneration Refused(string reason) => new(null, reason);
}
