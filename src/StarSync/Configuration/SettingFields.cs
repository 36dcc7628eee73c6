namespace StarSync.Configuration;

/// <summary>How a setting's messages name it: by its environment variable (start-up) or by its label (the Settings page).</summary>
public enum SettingNaming
{
    /// <summary>"BATCH_SIZE must be …": start-up, where the fix is in the environment or .env.</summary>
    Variable,

    /// <summary>"Batch size must be …": the Settings page and the API, where the fix is in the form.</summary>
    Label,
}

/// <summary>Where the value in force of a setting comes from.</summary>
public enum SettingSource
{
    /// <summary>Neither settings.json nor the environment sets it.</summary>
    Default,

    /// <summary>The environment (or .env) sets it and settings.json does not.</summary>
    Environment,

    /// <summary>settings.json holds it; it wins over the environment.</summary>
    SettingsFile,
}

/// <summary>
/// One setting as the page labels it, as the environment names it, and its settings.json key (null when only the
/// environment can set it, read at start).
/// </summary>
public sealed record SettingField(string Key, string Label, string Variable, string? FileKey)
{
    /// <summary>The name a message uses for this setting.</summary>
    public string NameFor(SettingNaming naming) => naming == SettingNaming.Label ? Label : Variable;

    /// <summary>Whether the Settings page can change it (it has a settings.json key).</summary>
    public bool Editable => FileKey is not null;
}

/// <summary>
/// Every setting the Settings page shows: its API key (also the key of its validation errors), label, environment
/// variable and settings.json key. Messages, the page's source labels and start-up errors all name settings from here.
/// </summary>
public static class SettingFields
{
    /// <summary>LIBRARY_NAME / "libraries".</summary>
    public static readonly SettingField Libraries = new("libraries", "Libraries", "LIBRARY_NAME", "libraries");

    /// <summary>RATING_STYLE / "rating_style".</summary>
    public static readonly SettingField RatingStyle = new("ratingStyle", "Rating style", "RATING_STYLE", "rating_style");

    /// <summary>TARGET_RATING / "rating_value".</summary>
    public static readonly SettingField TargetRating = new("targetRating", "Rating to give", "TARGET_RATING", "rating_value");

    /// <summary>OVERRIDE_RATING / "override_rating".</summary>
    public static readonly SettingField OverrideRating = new("overrideRating", "Also change tracks that already have a rating", "OVERRIDE_RATING", "override_rating");

    /// <summary>BATCH_SIZE / "batch_size".</summary>
    public static readonly SettingField BatchSize = new("batchSize", "Batch size", "BATCH_SIZE", "batch_size");

    /// <summary>BATCH_INTERVAL_MINUTES / "batch_interval_minutes".</summary>
    public static readonly SettingField BatchIntervalMinutes = new("batchIntervalMinutes", "Minutes between scheduled runs", "BATCH_INTERVAL_MINUTES", "batch_interval_minutes");

    /// <summary>WRITE_CONCURRENCY / "write_concurrency".</summary>
    public static readonly SettingField WriteConcurrency = new("writeConcurrency", "Parallel writes to Plex", "WRITE_CONCURRENCY", "write_concurrency");

    /// <summary>PLEX_NOTIFICATIONS / "plex_notifications".</summary>
    public static readonly SettingField PlexNotifications = new("plexNotifications", "Listen to Plex for new music", "PLEX_NOTIFICATIONS", "plex_notifications");

    /// <summary>WRITE_MODE / "write_mode".</summary>
    public static readonly SettingField WriteMode = new("writeMode", "Write mode", "WRITE_MODE", "write_mode");

    /// <summary>WRITE_BATCH_SIZE / "write_batch_size".</summary>
    public static readonly SettingField WriteBatchSize = new("writeBatchSize", "Tracks per bulk edit", "WRITE_BATCH_SIZE", "write_batch_size");

    /// <summary>PLEX_TIMEOUT_SECONDS: environment only, read at start.</summary>
    public static readonly SettingField PlexTimeoutSeconds = new("plexTimeoutSeconds", "Plex request timeout", "PLEX_TIMEOUT_SECONDS", null);

    /// <summary>PLEX_PAGE_SIZE: environment only, read at start.</summary>
    public static readonly SettingField PlexPageSize = new("plexPageSize", "Tracks per listing page", "PLEX_PAGE_SIZE", null);

    /// <summary>Every setting the page shows, in page order.</summary>
    public static IReadOnlyList<SettingField> All { get; } =
    [
        Libraries, RatingStyle, TargetRating, OverrideRating, BatchSize, BatchIntervalMinutes, PlexNotifications,
        WriteMode, WriteBatchSize, WriteConcurrency, PlexTimeoutSeconds, PlexPageSize,
    ];

    /// <summary>The field with API key <paramref name="key"/>, or null.</summary>
    public static SettingField? Find(string key) => All.FirstOrDefault(f => string.Equals(f.Key, key, StringComparison.Ordinal));

    /// <summary>
    /// Says where a value comes from and which source wins, in words for the page. settings.json wins over the
    /// environment (as in the old tool); settings only the environment sets are read at start.
    /// </summary>
    public static string Describe(SettingField field, SettingSource source, bool environmentSet)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!field.Editable)
        {
            return source == SettingSource.Environment
                ? $"Set by the environment ({field.Variable}); saving here cannot change it: change it there and restart StarSync."
                : $"Default; only the environment can change it: set {field.Variable} and restart StarSync.";
        }

        return source switch
        {
            SettingSource.SettingsFile when environmentSet => $"From settings.json, which wins over {field.Variable} in the environment.",
            SettingSource.SettingsFile => "From settings.json.",
            SettingSource.Environment => $"From the environment ({field.Variable}); saving here stores it in settings.json, which then wins.",
            _ => $"Default; not set in settings.json or the environment ({field.Variable}).",
        };
    }
}
