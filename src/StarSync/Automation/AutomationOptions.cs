using System.Globalization;
using Microsoft.Extensions.Options;
using StarSync.Configuration;

namespace StarSync.Automation;

/// <summary>Start-up options of the schedule and the webhook (environment only; not editable at run time).</summary>
public sealed class AutomationOptions
{
    /// <summary>Largest JSON payload accepted (the payload part, url-encoded field or raw body). PMS sends a few KB.</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    /// <summary>Largest multipart body accepted: the payload plus a poster JPEG.</summary>
    public const long MaxMultipartBytes = 10L * 1024 * 1024;

    /// <summary>Largest url-encoded body: percent-encoding can triple a payload of <see cref="MaxPayloadBytes"/>.</summary>
    public const long MaxFormBytes = 3L * MaxPayloadBytes + 1024;

    /// <summary>
    /// WEBHOOK_DEBOUNCE_SECONDS (default 10, 0..300): new items are collected until no new one has arrived for this
    /// long, then queued as one job; 0 queues each at once (queued jobs still merge).
    /// </summary>
    public TimeSpan WebhookDebounce { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>ALLOW_UNAUTHENTICATED_WEBHOOK (default false): also accept POST /plex-webhook without the secret.</summary>
    public bool AllowUnauthenticatedWebhook { get; set; }

    /// <summary>Values that could not be read, each naming its variable; reported by start-up validation.</summary>
    internal List<string> Problems { get; } = [];

    /// <summary>Reads the environment variables into <paramref name="options"/>, collecting problems instead of guessing.</summary>
    internal static void Read(IConfiguration configuration, AutomationOptions options)
    {
        if (configuration["WEBHOOK_DEBOUNCE_SECONDS"] is { } debounce && !string.IsNullOrWhiteSpace(debounce))
        {
            if (double.TryParse(debounce.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= 300)
            {
                options.WebhookDebounce = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                options.Problems.Add($"WEBHOOK_DEBOUNCE_SECONDS '{debounce.Trim()}' must be a number of seconds from 0 to 300 (default 10).");
            }
        }

        if (configuration["ALLOW_UNAUTHENTICATED_WEBHOOK"] is { } allow && !string.IsNullOrWhiteSpace(allow))
        {
            if (SettingsLoader.ParseBool(allow) is { } parsed)
            {
                options.AllowUnauthenticatedWebhook = parsed;
            }
            else
            {
                options.Problems.Add($"ALLOW_UNAUTHENTICATED_WEBHOOK '{allow.Trim()}' is not true or false: use ALLOW_UNAUTHENTICATED_WEBHOOK=false (recommended) or true.");
            }
        }
    }
}

/// <summary>Fails start-up with every unreadable automation variable named.</summary>
internal sealed class AutomationOptionsValidator : IValidateOptions<AutomationOptions>
{
    public ValidateOptionsResult Validate(string? name, AutomationOptions options) =>
        options.Problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Problems);
}
