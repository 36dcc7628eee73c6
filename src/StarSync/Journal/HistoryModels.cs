using StarSync.Jobs;

namespace StarSync.Journal;

/// <summary>How the jobs list is sorted.</summary>
public enum JobSort
{
    /// <summary>Newest job first (the default).</summary>
    Newest,

    /// <summary>Oldest job first.</summary>
    Oldest,

    /// <summary>Most ratings written (rated + updated + cleared + restored) first.</summary>
    MostChanges,

    /// <summary>Most failed writes first.</summary>
    MostFailures,

    /// <summary>Longest running time first.</summary>
    Longest,
}

/// <summary>
/// What the jobs list shows. Null fields do not filter. <see cref="Outcome"/> filters on the outcome in words
/// (see <see cref="JobOutcome"/>), which refines the persisted status: "succeeded" means without failures.
/// </summary>
public sealed record JobFilter(
    JobTrigger? Trigger = null,
    JobOutcomeKind? Outcome = null,
    JobMode? Mode = null,
    bool? DryRun = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    JobSort Sort = JobSort.Newest,
    int Offset = 0,
    int Limit = 50);

/// <summary>One page of jobs and how many match the filter in all.</summary>
public sealed record JobPage(int Total, IReadOnlyList<JobRecord> Items);

/// <summary>What a state filter on a job's changes can ask for (the states as the user sees them).</summary>
public enum ChangeView
{
    /// <summary>Plex has the new value.</summary>
    Applied,

    /// <summary>Not written on purpose (e.g. an undo found a hand rating).</summary>
    Skipped,

    /// <summary>Plex refused the write, or its answer showed it did not take.</summary>
    Failed,

    /// <summary>Journaled but never sent: the job was cancelled or stopped first.</summary>
    NotSent,

    /// <summary>A dry run's "would change".</summary>
    Planned,

    /// <summary>Sent, answer not known yet.</summary>
    Pending,
}

/// <summary>Filters on a job's changes; null fields do not filter.</summary>
/// <param name="State">The state as the user sees it.</param>
/// <param name="Library">One library's changes.</param>
/// <param name="Search">Words that must each occur in the artist, album or title.</param>
/// <param name="Rule">
/// Hook for the rating rules (issue 13): once the journal records which rule decided a change, filter on it here.
/// Until then the API refuses a rule filter with a message instead of ignoring it.
/// </param>
public sealed record ChangeFilter(ChangeView? State = null, string? Library = null, string? Search = null, string? Rule = null);

/// <summary>
/// A journaled change with what the history pages show beside it: the job's mode, whether it was a dry run, the job an
/// undo change reverted and the job that undid this change.
/// </summary>
public sealed record HistoryChange(
    ChangeRecord Change,
    JobMode JobMode,
    bool JobDryRun,
    long? RevertsJob,
    long? UndoneBy);

/// <summary>A page of history changes; <see cref="Total"/> is capped for searches across all jobs (see <see cref="TotalCapped"/>).</summary>
public sealed record HistoryChangePage(int Total, bool TotalCapped, IReadOnlyList<HistoryChange> Items);

/// <summary>How far a job has been undone, from the journal: per undo job, how many of its applied changes it reverted.</summary>
public sealed record UndoTally(IReadOnlyList<UndoneByJob> UndoneBy, int Applied)
{
    /// <summary>Nothing undone.</summary>
    public static UndoTally None { get; } = new([], 0);

    /// <summary>Applied changes reverted by any undo.</summary>
    public int Undone => UndoneBy.Sum(u => u.Changes);
}

/// <summary>One undo job and how many changes of the undone job it reverted.</summary>
public sealed record UndoneByJob(long JobId, int Changes);

/// <summary>Where the ratings a clear job found came from: set by StarSync (journal) or by hand.</summary>
public sealed record RatingOrigins(int ByStarSync, int ByHand);
