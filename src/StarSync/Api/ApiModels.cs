using System.Text.Json;
using System.Text.Json.Serialization;
using StarSync.Automation;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Notifications;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Status;

namespace StarSync.Api;

/// <summary>
/// A job as the API shows it (enum names in kebab case, as the UI uses them). <see cref="CanUndo"/> and
/// <see cref="UndoBlockedReason"/> come from <see cref="UndoEligibility"/>, the one rule the UI follows too.
/// </summary>
public sealed record JobDto(
    long Id, string Trigger, string Mode, bool DryRun, string Description, IReadOnlyList<string> Libraries, string Status,
    DateTimeOffset QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JobCounts Counts, string? Error,
    bool CanUndo, string? UndoBlockedReason)
{
    /// <summary>
    /// The outcome in words (<see cref="JobOutcome"/>): "completed with 3 failures", "Would rate 3,415". From the
    /// counters alone; the history API also splits a cancelled job's failures into failed and not sent.
    /// </summary>
    public JobOutcomeDto? Outcome { get; init; }
}

/// <summary>
/// Live progress as the API shows it: the whole job's counters, each library's share (state waiting, running or
/// done), and whether the total is known up front (false only for new-item jobs) or was corrected upward.
/// </summary>
public sealed record ProgressDto(long JobId, string Library, int Done, int Total, int Rated, int Updated, int Skipped, int Failed,
    int Cleared, int Restored, double WritesPerSecond, double? EtaSeconds, IReadOnlyList<LibraryProgressDto> Libraries,
    bool TotalKnown, bool TotalCorrected);

/// <summary>One library's share of a running job.</summary>
public sealed record LibraryProgressDto(string Library, int Done, int Total, string State);

/// <summary>The schedule's state.</summary>
public sealed record ScheduleDto(int IntervalMinutes, DateTimeOffset? NextRunAt, int BatchSize, JobDto? LastRun);

/// <summary>Everything the dashboard shows at once.</summary>
public sealed record StatusDto(PlexConnection Plex, JobDto? Current, ProgressDto? Progress, IReadOnlyList<JobDto> Queue,
    IReadOnlyList<JobDto> Recent, ScheduleDto Schedule, WebhookReceipt? LastWebhook, NotificationsDto Notifications,
    Rating.WritePathStatus? WritePath = null)
{
    /// <summary>StarSync's version, as the footer shows it.</summary>
    public string Version { get; init; } = Web.AppVersion.Current;

    /// <summary>The server's clock when it answered: pages say "3 min ago" against it, not the browser's clock, which may be off.</summary>
    public DateTimeOffset ServerTime { get; init; }
}
/// <summary>
/// The Plex notification listener: <see cref="State"/> is off, connecting, connected, reconnecting or stopped;
/// <see cref="Summary"/> says it in words ("reconnecting (attempt 3, next in 20 s)", "stopped: Plex refused the token …").
/// </summary>
public sealed record NotificationsDto(string State, string Summary, DateTimeOffset? Since, int Attempt, int? NextAttemptInSeconds,
    string? Problem, NotificationEvent? LastEvent, long FramesReceived, long FramesDropped, long OversizedFrames, long MalformedFrames,
    long ItemsQueued, long CatchUps);

/// <summary>Music libraries with coverage, and saved names Plex no longer has.</summary>
public sealed record LibrariesDto(IReadOnlyList<LibraryCoverage> Libraries, IReadOnlyList<string> Missing);

/// <summary>A request to start a job.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record StartJobRequest(string? Mode, int? Count, bool? DryRun);

/// <summary>A request that may be a dry run.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DryRunRequest(bool? DryRun);

/// <summary>Clearing every rating needs the word CLEAR typed by the user.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ClearRequest(string? Confirm, bool? DryRun);

/// <summary>One journaled change.</summary>
public sealed record ChangeDto(string RatingKey, string Library, string? Artist, string? Album, string? Title,
    double? OldValue, double? NewValue, string State, string? Error, DateTimeOffset Time, string? Rule = null);

/// <summary>A page of changes.</summary>
public sealed record ChangePageDto(int Total, IReadOnlyList<ChangeDto> Items);

/// <summary>
/// Settings as the API shows them. The sources say where each secret came from ("environment", "settings.json" or
/// "generated"); one from the environment cannot be regenerated here.
/// </summary>
public sealed record SettingsDto(IReadOnlyList<string> Libraries, string RatingStyle, double TargetRating, bool OverrideRating,
    int BatchSize, int BatchIntervalMinutes, int WriteConcurrency, string WebhookUrl, string ApiKey,
    string WebhookSecretSource, string ApiKeySource, bool PlexNotifications, string WriteMode = "auto",
    int WriteBatchSize = StarSyncSettings.DefaultWriteBatchSize)
{
    /// <summary>Per-try timeout towards Plex in seconds (PLEX_TIMEOUT_SECONDS; only the environment sets it).</summary>
    public int PlexTimeoutSeconds { get; init; }

    /// <summary>Tracks per listing page (PLEX_PAGE_SIZE; only the environment sets it).</summary>
    public int PlexPageSize { get; init; }

    /// <summary>Where each setting's value comes from and which source wins, keyed like the fields.</summary>
    public IReadOnlyDictionary<string, SettingSourceDto> Sources { get; init; } = new Dictionary<string, SettingSourceDto>();
}

/// <summary>
/// Where a setting's value comes from: "settings.json", "environment" or "default"; the environment variable that
/// could set it and whether it is set; whether saving here changes it; and all of that in words for the page.
/// </summary>
public sealed record SettingSourceDto(string Source, string Variable, bool SetInEnvironment, bool Editable, string Text);

/// <summary>
/// A settings change: a field left out is unchanged; a field sent as null (an emptied form field) is an error, never
/// a silent keep. Whole numbers travel as JSON numbers so that 2.5 is reported in words with every other error, not
/// refused by the JSON reader alone.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SettingsUpdate
{
    private readonly HashSet<string> _sent = new(StringComparer.Ordinal);

    /// <summary>Music libraries to rate (at least one).</summary>
    public IReadOnlyList<string>? Libraries { get; init { field = value; Sent(); } }

    /// <summary>1star, 5stars or 5stars_half.</summary>
    public string? RatingStyle { get; init { field = value; Sent(); } }

    /// <summary>The rating to give, in the style's unit.</summary>
    public double? TargetRating { get; init { field = value; Sent(); } }

    /// <summary>Also re-rate tracks whose rating differs from the target.</summary>
    public bool? OverrideRating { get; init { field = value; Sent(); } }

    /// <summary>Tracks per scheduled run and per "Rate last batch" (whole number, 1..100,000).</summary>
    public double? BatchSize { get; init { field = value; Sent(); } }

    /// <summary>Minutes between scheduled runs (whole number, 0 = off).</summary>
    public double? BatchIntervalMinutes { get; init { field = value; Sent(); } }

    /// <summary>Rating writes in flight at once (whole number, 1..32).</summary>
    public double? WriteConcurrency { get; init { field = value; Sent(); } }

    /// <summary>Listen to Plex's notification websocket for new music.</summary>
    public bool? PlexNotifications { get; init { field = value; Sent(); } }

    /// <summary>auto, batch or single.</summary>
    public string? WriteMode { get; init { field = value; Sent(); } }

    /// <summary>Tracks per bulk edit (whole number, 1..500).</summary>
    public double? WriteBatchSize { get; init { field = value; Sent(); } }

    /// <summary>
    /// The form's one pass, part one: applies the fields sent to <paramref name="current"/> and adds an error for each
    /// one that is null (emptied) or not a value at all; the store then checks the result with the settings' own rules
    /// (<see cref="StarSyncSettings.Validate"/>), so no rule is written twice. A field with an error keeps its current
    /// value, so the rules do not report it a second time.
    /// </summary>
    public StarSyncSettings ApplyTo(StarSyncSettings current, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(errors);
        var next = current;
        bool Given<T>(SettingField setting, T? value)
        {
            if (!Has(setting))
            {
                return false;
            }

            if (value is null)
            {
                errors[setting.Key] = [$"{setting.Label} is required."];
                return false;
            }

            return true;
        }

        if (Given(SettingFields.Libraries, Libraries))
        {
            next = next with { Libraries = Libraries!.OfType<string>().Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray() };
        }

        if (Given(SettingFields.RatingStyle, RatingStyle))
        {
            if (Rating.RatingScale.ParseStyle(RatingStyle) is { } style)
            {
                next = next with { RatingStyle = style };
            }
            else
            {
                errors[SettingFields.RatingStyle.Key] = [$"Rating style '{RatingStyle}' is unknown: use one of {Rating.RatingScale.AllowedStyles}."];
            }
        }

        if (Given(SettingFields.WriteMode, WriteMode))
        {
            if (WriteModes.Parse(WriteMode) is { } mode)
            {
                next = next with { WriteMode = mode };
            }
            else
            {
                errors[SettingFields.WriteMode.Key] = [$"Write mode '{WriteMode}' is unknown: use {WriteModes.Allowed}."];
            }
        }

        next = next with
        {
            TargetRating = Given(SettingFields.TargetRating, TargetRating) ? TargetRating!.Value : next.TargetRating,
            OverrideRating = Given(SettingFields.OverrideRating, OverrideRating) ? OverrideRating!.Value : next.OverrideRating,
            PlexNotifications = Given(SettingFields.PlexNotifications, PlexNotifications) ? PlexNotifications!.Value : next.PlexNotifications,
            BatchSize = Given(SettingFields.BatchSize, BatchSize) ? Whole(BatchSize!.Value) : next.BatchSize,
            BatchIntervalMinutes = Given(SettingFields.BatchIntervalMinutes, BatchIntervalMinutes) ? Whole(BatchIntervalMinutes!.Value) : next.BatchIntervalMinutes,
            WriteConcurrency = Given(SettingFields.WriteConcurrency, WriteConcurrency) ? Whole(WriteConcurrency!.Value) : next.WriteConcurrency,
            WriteBatchSize = Given(SettingFields.WriteBatchSize, WriteBatchSize) ? Whole(WriteBatchSize!.Value) : next.WriteBatchSize,
        };
        return next;
    }

    // A fraction, or a number beyond int, is out of every whole-number range, so the setting's own range rule reports
    // it ("Batch size must be a whole number from 1 to 100,000.") instead of a second rule here.
    private static int Whole(double value) =>
        value is >= int.MinValue and <= int.MaxValue && value == Math.Floor(value) ? (int)value : int.MinValue;

    /// <summary>Whether the request carried the field (JSON null included).</summary>
    public bool Has(SettingField setting) => _sent.Contains(setting?.Key ?? "");

    // The JSON reader calls an init accessor only for a property present in the body, null included; which one is
    // recorded by the caller's name.
    private void Sent([System.Runtime.CompilerServices.CallerMemberName] string property = "") =>
        _sent.Add(JsonNamingPolicy.CamelCase.ConvertName(property));
}

/// <summary>Maps internal records to API shapes.</summary>
public static class ApiMapping
{
    /// <summary>kebab-case name of an enum value ("UnratedBatch" -> "unrated-batch").</summary>
    public static string Kebab<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static JobDto ToDto(this JobRecord job)
    {
        // What the record alone answers; the history API's undo block adds what only the journal knows (UndoEligibility.Evaluate).
        var undoBlocked = UndoEligibility.WhyNot(job);
        return new(job.Id, Kebab(job.Trigger), Kebab(job.Mode), job.DryRun, job.Description, job.Libraries, Kebab(job.Status),
            job.QueuedAt, job.StartedAt, job.FinishedAt, job.Counts, job.Error, undoBlocked is null, undoBlocked)
        {
            Outcome = JobOutcome.Of(job).ToDto(),
        };
    }

    public static ProgressDto ToDto(this JobProgress p) => new(p.JobId, p.Library, p.Counts.Done, p.Counts.Total, p.Counts.Rated,
        p.Counts.Updated, p.Counts.Skipped, p.Counts.Failed, p.Counts.Cleared, p.Counts.Restored, p.WritesPerSecond, p.EtaSeconds,
        p.Libraries.Select(l => new LibraryProgressDto(l.Library, l.Done, l.Total, Kebab(l.State))).ToArray(), p.TotalKnown, p.TotalCorrected);

    public static ChangeDto ToDto(this ChangeRecord c) => new(c.RatingKey, c.Library, c.Artist, c.Album, c.Title, c.OldValue,
        c.NewValue, Kebab(c.State), c.Error, c.Time, c.Rule);

    public static NotificationsDto ToDto(this NotificationSnapshot n, DateTimeOffset now)
    {
        int? nextIn = n.NextAttemptAt is { } next ? (int)Math.Ceiling(Math.Max(0, (next - now).TotalSeconds)) : null;
        var summary = n.State switch
        {
            ListenerState.Off => "off",
            ListenerState.Connecting => "connecting…",
            ListenerState.Connected => "connected",
            ListenerState.Reconnecting => $"reconnecting (attempt {n.Attempt}, next in {nextIn ?? 0} s)" + (n.Problem is { } p ? ": " + p : ""),
            ListenerState.Stopped => "stopped: " + (n.Problem ?? "Plex refused the token"),
            _ => n.State.ToString(),
        };
        return new NotificationsDto(Kebab(n.State), summary, n.Since, n.Attempt, nextIn, n.Problem, n.LastEvent, n.FramesReceived,
            n.FramesDropped, n.OversizedFrames, n.MalformedFrames, n.ItemsQueued, n.CatchUps);
    }

    public static SettingsDto ToDto(this SettingsStore store, string webhookUrl, PlexOptions plex)
    {
        var s = store.Current;
        return new(s.Libraries, s.RatingStyle.ToName(), s.TargetRating, s.OverrideRating, s.BatchSize, s.BatchIntervalMinutes,
            s.WriteConcurrency, webhookUrl, s.ApiKey, store.WebhookSecretSource.ToName(), store.ApiKeySource.ToName(), s.PlexNotifications,
            s.WriteMode.ToName(), s.WriteBatchSize)
        {
            PlexTimeoutSeconds = plex.TimeoutSeconds,
            PlexPageSize = plex.PageSize,
            Sources = SettingFields.All.ToDictionary(f => f.Key, f => store.SourceDto(f)),
        };
    }

    /// <summary>Where <paramref name="field"/>'s value comes from, for the page.</summary>
    public static SettingSourceDto SourceDto(this SettingsStore store, SettingField field)
    {
        var source = store.SourceOf(field);
        var inEnvironment = store.SetInEnvironment(field);
        return new(source switch
        {
            SettingSource.SettingsFile => "settings.json",
            SettingSource.Environment => "environment",
            _ => "default",
        }, field.Variable, inEnvironment, field.Editable, SettingFields.Describe(field, source, inEnvironment));
    }
}
