using StarSync.Configuration;
using StarSync.Web.Auth;
using StarSync.Web.Logging;

namespace StarSync.Api;

/// <summary>Registers what the API needs besides its endpoints.</summary>
public static class ApiExtensions
{
    /// <summary>Adds the settings-backed API key and the bridge from job events to the live feed.</summary>
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        services.AddSingleton<IApiKeyProvider, SettingsApiKeyProvider>();
        services.AddHostedService<LiveEventsBridge>();
        return services;
    }
}

/// <summary>The API key lives in the settings (API_KEY or generated), so regenerating it in the UI applies at once.</summary>
public sealed class SettingsApiKeyProvider(SettingsStore settings) : IApiKeyProvider
{
    /// <inheritdoc />
    public string? CurrentKey => settings.Current.ApiKey;
}

/// <summary>
/// The secrets the settings hold (API key, webhook secret) are masked in every log line, including ones generated
/// later. (Job and progress events reach the dashboards through <see cref="LiveLog.LiveJobEvents"/>.)
/// </summary>
public sealed class LiveEventsBridge(SettingsStore settings, SecretRedactor redactor) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redactor.AddSecret(settings.Current.ApiKey);
        redactor.AddSecret(settings.Current.WebhookSecret);
        settings.Changed += OnSettingsChanged;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        settings.Changed -= OnSettingsChanged;
        return Task.CompletedTask;
    }

    private void OnSettingsChanged(StarSyncSettings current)
    {
        redactor.AddSecret(current.ApiKey);
        redactor.AddSecret(current.WebhookSecret);
    }
}
