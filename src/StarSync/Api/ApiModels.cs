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
    int WriteBatchSize = StarSyncSettings.DefaultWriteBatchSize);

/// <summary>A settings change (all fields optional: absent = unchanged).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SettingsUpdate(IReadOnlyList<string>? Libraries, string? RatingStyle, double? TargetRating, bool? OverrideRating,
    int? BatchSize, int? BatchIntervalMinutes, int? WriteConcurrency, bool? PlexNotifications = null, string? WriteMode = null,
    int? WriteBatchSize = null);

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

    public static SettingsDto ToDto(this SettingsStore store, string webhookUrl)
    {
        var s = store.Current;
        return new(s.Libraries, s.RatingStyle.ToName(), s.TargetRating, s.OverrideRating, s.BatchSize, s.BatchIntervalMinutes,
            s.WriteConcurrency, webhookUrl, s.ApiKey, store.WebhookSecretSource.ToName(), store.ApiKeySource.ToName(), s.PlexNotifications,
            s.WriteMode.ToName(), s.WriteBatchSize);
    }
}
