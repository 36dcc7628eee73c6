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

    /// <summary>Chosen from the benchmark (docs/benchmarks.md: 100 was the fastest of 100/250/500 in the one run made).</summary>
    public const int DefaultWriteBatchSize = 100;

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

    /// <summary>Checks every rule; each message names the setting (and its environment variable) and how to fix it.</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Libraries.Count == 0 || Libraries.Any(string.IsNullOrWhiteSpace))
        {
            errors["libraries"] = ["Choose at least one music library (LIBRARY_NAME, comma-separated names as Plex shows them)."];
        }
        else if (Libraries.Count > 100 || Libraries.Any(l => l.Length > 255))
        {
            errors["libraries"] = ["Choose at most 100 libraries, each name at most 255 characters (LIBRARY_NAME)."];
        }

        if (!RatingScale.TryToPlexValue(RatingStyle, TargetRating, out _, out var targetError))
        {
            errors["targetRating"] = [$"TARGET_RATING {targetError}"];
        }

        if (BatchSize is < 1 or > 100_000)
        {
            errors["batchSize"] = ["BATCH_SIZE must be a whole number from 1 to 100000."];
        }

        if (BatchIntervalMinutes is < 0 or > 525_600)
        {
            errors["batchIntervalMinutes"] = ["BATCH_INTERVAL_MINUTES must be a whole number of minutes from 0 (off) to 525600."];
        }

        if (WriteConcurrency is < AutoWriteConcurrency or > 32)
        {
            errors["writeConcurrency"] = ["WRITE_CONCURRENCY must be auto (0) or a number from 1 to 32 (auto adapts the writes in flight to how fast Plex answers)."];
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
            errors["writeBatchSize"] = ["WRITE_BATCH_SIZE must be from 1 to 500 (tracks per bulk edit; long id lists fail on Plex)."];
        }

        foreach (var (key, message) in PlexConnectionRules.Problems(PlexUrl, PlexToken))
        {
            errors[key] = [message];
        }

        return errors;
    }
}
