using StarSync.Jobs;
using StarSync.Journal;

namespace StarSync.Api;

/// <summary>A job's outcome in words (see <see cref="JobOutcome"/>).</summary>
public sealed record JobOutcomeDto(string Kind, string Label, string Summary);

/// <summary>Whether a job can be undone, why not, and which jobs undid it (see <see cref="UndoEligibility"/>).</summary>
/// <param name="CanUndo">Whether Undo is offered.</param>
/// <param name="Reason">Why not, in words.</param>
/// <param name="Status">not-undone, partly-undone or undone.</param>
/// <param name="UndoneBy">The undo jobs that reverted its changes.</param>
/// <param name="Reverts">For an undo job: the job it undid (0 = every job).</param>
public sealed record UndoDto(bool CanUndo, string? Reason, string Status, IReadOnlyList<long> UndoneBy, long? Reverts);

/// <summary>
/// A dry run and its real runs: on a preview, the runs that applied it; on a real run started from a preview, the
/// preview, what it planned, what this run did, and whether the library changed in between.
/// </summary>
public sealed record PreviewDto(long? PreviewJobId, IReadOnlyList<long> AppliedBy, int? Planned, int? Done, string? Comparison);

/// <summary>A job in the history: the job, its outcome in words and its undo state.</summary>
public sealed record HistoryJobDto(JobDto Job, JobOutcomeDto Outcome, UndoDto Undo);

/// <summary>A page of jobs.</summary>
public sealed record HistoryJobPageDto(int Total, int Page, int PageSize, IReadOnlyList<HistoryJobDto> Items);

/// <summary>One job with what its page shows: outcome, undo, preview links, the libraries its changes touched and, for a clear, who set the ratings it cleared.</summary>
public sealed record HistoryJobDetailDto(JobDto Job, JobOutcomeDto Outcome, UndoDto Undo, PreviewDto? Preview,
    IReadOnlyList<string> ChangeLibraries, RatingOrigins? ClearOrigins);

/// <summary>A journaled change as the history shows it, with its state in words and its reason.</summary>
public sealed record HistoryChangeDto(long Id, long JobId, string RatingKey, string Library, string? Artist, string? Album, string? Title,
    double? OldValue, double? NewValue, string State, string Reason, DateTimeOffset Time, string JobMode, bool DryRun, long? UndoneBy,
    string? Rule);

/// <summary>A page of changes. <see cref="TotalCapped"/>: a search across all jobs stopped counting at <see cref="Total"/>.</summary>
public sealed record HistoryChangePageDto(int Total, bool TotalCapped, int Page, int PageSize, IReadOnlyList<HistoryChangeDto> Items);

/// <summary>Every change StarSync made to one track.</summary>
public sealed record TrackHistoryDto(string RatingKey, string? Artist, string? Album, string? Title, IReadOnlyList<HistoryChangeDto> Changes);

/// <summary>Maps history rows to API shapes.</summary>
public static class HistoryMapping
{
    public static JobOutcomeDto ToDto(this JobOutcome outcome) => new(ApiMapping.Kebab(outcome.Kind), outcome.Label, outcome.Summary);

    public static UndoDto ToDto(this UndoEligibility undo, JobRecord job) => new(undo.CanUndo, undo.Reason, ApiMapping.Kebab(undo.Status),
        undo.UndoneBy, job.Mode switch { JobMode.Undo => job.Request.UndoJobId, JobMode.UndoAll => 0, _ => null });

    public static HistoryChangeDto ToDto(this HistoryChange row) => new(row.Change.Id, row.Change.JobId, row.Change.RatingKey,
        row.Change.Library, row.Change.Artist, row.Change.Album, row.Change.Title, row.Change.OldValue, row.Change.NewValue,
        ApiMapping.Kebab(ChangeReason.ViewOf(row.Change)), ChangeReason.Of(row), row.Change.Time, ApiMapping.Kebab(row.JobMode),
        row.JobDryRun, row.UndoneBy, row.Change.Rule);
}
