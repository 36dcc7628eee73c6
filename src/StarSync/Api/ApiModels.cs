using StarSync.Automation;
using StarSync.Configuration;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Api;

/// <summary>A job as the API shows it (enum names in kebab case, as the UI uses them).</summary>
public sealed record JobDto(
    long Id, string Trigger, string Mode, bool DryRun, string Description, IReadOnlyList<string> Libraries, string Status,
    DateTimeOffset QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JobCounts Counts, string? Error);

/// <summary>Live progress as the API shows it.</summary>
public sealed record ProgressDto(long JobId, string Library, int Done, int Total, int Rated, int Updated, int Skipped, int Failed,
    int Cleared, int Restored, double WritesPerSecond, double? EtaSeconds);

/// <summary>The schedule's state.</summary>
public sealed record ScheduleDto(int IntervalMinutes, DateTimeOffset? NextRunAt);

/// <summary>Everything the dashboard shows at once.</summary>
public sealed record StatusDto(PlexConnection Plex, JobDto? Current, ProgressDto? Progress, IReadOnlyList<JobDto> Queue,
    IReadOnlyList<JobDto> Recent, ScheduleDto Schedule, WebhookReceipt? LastWebhook, Rating.WritePathStatus? WritePath = null);

/// <summary>Music libraries with coverage, and saved names Plex no longer has.</summary>
public sealed record LibrariesDto(IReadOnlyList<LibraryCoverage> Libraries, IReadOnlyList<string> Missing);

/// <summary>A request to start a job.</summary>
public sealed record StartJobRequest(string? Mode, int? Count, bool? DryRun);

/// <summary>A request that may be a dry run.</summary>
public sealed record DryRunRequest(bool? DryRun);

/// <summary>Clearing every rating needs the word CLEAR typed by the user.</summary>
public sealed record ClearRequest(string? Confirm, bool? DryRun);

/// <summary>One journaled change.</summary>
public sealed record ChangeDto(string RatingKey, string Library, string? Artist, string? Album, string? Title,
    double? OldValue, double? NewValue, string State, string? Error, DateTimeOffset Time);

/// <summary>A page of changes.</summary>
public sealed record ChangePageDto(int Total, IReadOnlyList<ChangeDto> Items);

/// <summary>Settings as the API shows them.</summary>
public sealed record SettingsDto(IReadOnlyList<string> Libraries, string RatingStyle, double TargetRating, bool OverrideRating,
    int BatchSize, int BatchIntervalMinutes, int WriteConcurrency, string WebhookUrl, string ApiKey, string WriteMode = "auto", int WriteBatchSize = StarSyncSettings.DefaultWriteBatchSize);

/// <summary>A settings change (all fields optional: absent = unchanged).</summary>
public sealed record SettingsUpdate(IReadOnlyList<string>? Libraries, string? RatingStyle, double? TargetRating, bool? OverrideRating,
    int? BatchSize, int? BatchIntervalMinutes, int? WriteConcurrency, string? WriteMode = null, int? WriteBatchSize = null);

/// <summary>Maps internal records to API shapes.</summary>
public static class ApiMapping
{
    /// <summary>kebab-case name of an enum value ("UnratedBatch" -> "unrated-batch").</summary>
    public static string Kebab<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static JobDto ToDto(this JobRecord job) => new(job.Id, Kebab(job.Trigger), Kebab(job.Mode), job.DryRun, job.Description,
        job.Libraries, Kebab(job.Status), job.QueuedAt, job.StartedAt, job.FinishedAt, job.Counts, job.Error);

    public static ProgressDto ToDto(this JobProgress p) => new(p.JobId, p.Library, p.Counts.Done, p.Counts.Total, p.Counts.Rated,
        p.Counts.Updated, p.Counts.Skipped, p.Counts.Failed, p.Counts.Cleared, p.Counts.Restored, p.WritesPerSecond, p.EtaSeconds);

    public static ChangeDto ToDto(this ChangeRecord c) => new(c.RatingKey, c.Library, c.Artist, c.Album, c.Title, c.OldValue,
        c.NewValue, Kebab(c.State), c.Error, c.Time);

    public static SettingsDto ToDto(this StarSyncSettings s, string webhookUrl) => new(s.Libraries, s.RatingStyle.ToName(),
        s.TargetRating, s.OverrideRating, s.BatchSize, s.BatchIntervalMinutes, s.WriteConcurrency, webhookUrl, s.ApiKey,
        s.WriteMode.ToName(), s.WriteBatchSize);
}
