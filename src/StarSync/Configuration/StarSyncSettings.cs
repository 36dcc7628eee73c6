using StarSync.Connection;
using StarSync.Rating;
using StarSync.Rules;

namespace StarSync.Configuration;

/// <summary>
/// The settings a user can change at run time (UI, API, settings.json). Start-up values come from the old tool's
/// environment variables; a saved settings.json wins over them, as in the old tool.
/// </summary>
public sealed record StarSyncSettings
{
    /// <summary>Music library names to rate (LIBRARY_NAME, comma-separated).</summary>
    public IReadOnlyList<string> Libraries { get; init; } = ["Music"];

    /// <summary>RATING_STYLE.</summary>
    public RatingStyle RatingStyle { get; init; } = RatingStyle.FiveStars;

    /// <summary>TARGET_RATING, in the style's own unit (stars, or 0/1 for 1star).</summary>
    public double TargetRating { get; init; } = 3;

    /// <summary>OVERRIDE_RATING: also re-rate tracks whose rating differs from the target.</summary>
    public bool OverrideRating { get; init; }

    /// <summary>BATCH_SIZE: tracks per scheduled run and per "last batch" run.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>BATCH_INTERVAL_MINUTES: minutes between scheduled runs; 0 turns the schedule off.</summary>
    public int BatchIntervalMinutes { get; init; } = 60;

    /// <summary>
    /// WRITE_CONCURRENCY: rating writes (or bulk edits) in flight at once, 1..32; <see cref="AutoWriteConcurrency"/> (0,
    /// "auto", the default) adapts it to Plex's latency during each run (see <see cref="Rating.WriteLimiter"/>).
    /// </summary>
    public int WriteConcurrency { get; init; } = AutoWriteConcurrency;

    /// <summary>WRITE_CONCURRENCY=auto, stored as 0.</summary>
    public const int AutoWriteConcurrency = 0;

    /// <summary>PLEX_NOTIFICATIONS: listen to Plex's notification websocket for new music (no Plex Pass needed).</summary>
    public bool PlexNotifications { get; init; } = true;

    /// <summary>WRITE_MODE: auto (bulk edits once verified on this server, else one write per track), batch or single.</summary>
    public WriteMode WriteMode { get; init; } = WriteMode.Auto;

    /// <summary>WRITE_BATCH_SIZE: tracks per bulk edit (1..500); the URL is also kept under a length bound.</summary>
    public int WriteBatchSize { get; init; } = DefaultWriteBatchSize;

    /// <summary>
    /// Chosen from the benchmark (docs/benchmarks.md, "Write path, fourth pass"): once the write slot covers the PUT only,
    /// 250 is as fast as 100 where the writer's per-item cost dominates and faster where the CPU of the listing,
    /// read-backs and journal does (fewer requests and read-backs); 500 is no faster and leaves two bulk edits per page.
    /// </summary>
    public const int DefaultWriteBatchSize = 250;

    /// <summary>WEBHOOK_SECRET: required in the webhook URL; generated on first start when not set.</summary>
    public string WebhookSecret { get; init; } = "";

    /// <summary>API_KEY: for /api/v1 with the X-Api-Key header; generated on first start when not set.</summary>
    public string ApiKey { get; init; } = "";

    /// <summary>Plex server URL saved from Settings (settings.json "plex_url"); PLEX_URL in the environment wins over it. "" = none.</summary>
    public string PlexUrl { get; init; } = "";

    /// <summary>Plex token saved from Settings (settings.json "plex_token", a file only its owner can read); PLEX_TOKEN wins over it. "" = none.</summary>
    public string PlexToken { get; init; } = "";

    /// <summary>The rating rules (settings.json "rules"); null = the default rule set built from style, target and override.</summary>
    public IReadOnlyList<RatingRule>? Rules { get; init; }

    /// <summary>The rules in force: <see cref="Rules"/>, or the default rule set (one rule giving the target to every track).</summary>
    public IReadOnlyList<RatingRule> EffectiveRules => Rules ?? RuleSets.Default(TargetRating);

    /// <summary>The Plex 0..10 value this configuration writes. Only valid settings exist at run time, so this cannot fail.</summary>
    public double PlexTarget => RatingScale.TryToPlexValue(RatingStyle, TargetRating, out var value, out var error)
        ? value
        : throw new InvalidOperationException(error);

    /// <summary>The rating policy these settings describe.</summary>
    public RatingPolicy Policy => new(PlexTarget, OverrideRating);

    /// <summary>
    /// Checks every rule; each message names the setting and how to fix it: by its environment variable at start
    /// (<see cref="SettingNaming.Variable"/>), by its label on the Settings page and in the API (<see cref="SettingNaming.Label"/>).
    /// Errors are keyed by the setting's API key (<see cref="SettingField.Key"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Validate(SettingNaming naming = SettingNaming.Variable)
    {
        var atStart = naming == SettingNaming.Variable;
        string Name(SettingField field) => field.NameFor(naming);
        var errors = new Dictionary<string, string[]>();
        if (Libraries.Count == 0 || Libraries.Any(string.IsNullOrWhiteSpace))
        {
            errors[SettingFields.Libraries.Key] = [atStart
                ? "Choose at least one music library (LIBRARY_NAME, comma-separated names as Plex shows them)."
                : "Choose at least one music library."];
        }
        else if (Libraries.Count > 100 || Libraries.Any(l => l.Length > 255))
        {
            errors[SettingFields.Libraries.Key] = [$"Choose at most 100 libraries, each name at most 255 characters{(atStart ? " (LIBRARY_NAME)" : "")}."];
        }

        if (!RatingScale.TryToPlexValue(RatingStyle, TargetRating, out _, out var targetError))
        {
            errors[SettingFields.TargetRating.Key] = [atStart
                ? $"TARGET_RATING {targetError}"
                : $"{Name(SettingFields.TargetRating)} must be {RatingScale.AllowedTargets(RatingStyle)} with this rating style."];
        }

        if (BatchSize is < 1 or > 100_000)
        {
            errors[SettingFields.BatchSize.Key] = [$"{Name(SettingFields.BatchSize)} must be a whole number from 1 to 100,000."];
        }

        if (BatchIntervalMinutes is < 0 or > 525_600)
        {
            errors[SettingFields.BatchIntervalMinutes.Key] = [$"{Name(SettingFields.BatchIntervalMinutes)} must be a whole number from 0 (off) to 525,600 (a year)."];
        }

        if (WriteConcurrency is < AutoWriteConcurrency or > 32)
        {
            errors[SettingFields.WriteConcurrency.Key] = [$"{Name(SettingFields.WriteConcurrency)} must be auto or a whole number from 1 to 32 (auto follows how fast Plex answers; 0 in Settings means auto)."];
        }

        if (Rules is not null)
        {
            foreach (var (key, messages) in RuleJson.Validate(Rules, RatingStyle))
            {
                errors[key] = messages;
            }
        }

        if (WriteBatchSize is < 1 or > 500)
        {
            errors[SettingFields.WriteBatchSize.Key] = [$"{Name(SettingFields.WriteBatchSize)} must be a whole number from 1 to 500 (tracks per bulk edit; long id lists fail on Plex)."];
        }

        foreach (var (key, message) in PlexConnectionRules.Problems(PlexUrl, PlexToken))
        {
            errors[key] = [message];
        }

        return errors;
    }
}
