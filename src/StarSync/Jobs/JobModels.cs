namespace StarSync.Jobs;

/// <summary>What started a job.</summary>
public enum JobTrigger
{
    /// <summary>A button in the web UI.</summary>
    Manual,

    /// <summary>The interval schedule.</summary>
    Schedule,

    /// <summary>A Plex webhook.</summary>
    Webhook,

    /// <summary>The command line.</summary>
    Cli,

    /// <summary>The REST API.</summary>
    Api,

    /// <summary>Plex's notification websocket (new music announced without a webhook).</summary>
    Notification,
}

/// <summary>What a job does.</summary>
public enum JobMode
{
    /// <summary>Every track of the selected libraries.</summary>
    All,

    /// <summary>The N most recently added tracks (the old tool's "last batch").</summary>
    Recent,

    /// <summary>Up to N unrated tracks, newest first (the schedule: reaches every unrated track over time).</summary>
    UnratedBatch,

    /// <summary>The tracks of given ratingKeys (tracks, albums, artists), from webhooks and Plex notifications.</summary>
    Items,

    /// <summary>Restore the old values of one job's changes.</summary>
    Undo,

    /// <summary>Restore the old values of everything StarSync ever set.</summary>
    UndoAll,

    /// <summary>Remove every user rating in the selected libraries (the old tool's "Reset Ratings").</summary>
    Clear,
}

/// <summary>Where a job is in its life.</summary>
public enum JobStatus
{
    /// <summary>Waiting for the runner.</summary>
    Queued,

    /// <summary>Running now.</summary>
    Running,

    /// <summary>Finished; failed writes, if any, are counted.</summary>
    Succeeded,

    /// <summary>Stopped by an error (e.g. Plex unreachable).</summary>
    Failed,

    /// <summary>Stopped on request (or by shutdown).</summary>
    Cancelled,
}

/// <summary>Counters of a job. <see cref="Done"/> counts tracks looked at out of <see cref="Total"/>.</summary>
public sealed record JobCounts(
    int Total = 0,
    int Done = 0,
    int Rated = 0,
    int Updated = 0,
    int Skipped = 0,
    int Failed = 0,
    int Cleared = 0,
    int Restored = 0);

/// <summary>A request to run a job; identical requests coalesce in the queue.</summary>
/// <param name="Trigger">Who asked.</param>
/// <param name="Mode">What to do.</param>
/// <param name="DryRun">Report what would change, write nothing.</param>
/// <param name="Count">N for <see cref="JobMode.Recent"/> and <see cref="JobMode.UnratedBatch"/>.</param>
/// <param name="ItemKeys">ratingKeys for <see cref="JobMode.Items"/>.</param>
/// <param name="UndoJobId">The job to undo for <see cref="JobMode.Undo"/>.</param>
/// <param name="PreviewJobId">The dry run this real run applies ("Apply this preview"), so history can compare the two.</param>
public sealed record JobRequest(
    JobTrigger Trigger,
    JobMode Mode,
    bool DryRun = false,
    int? Count = null,
    IReadOnlyList<string>? ItemKeys = null,
    long? UndoJobId = null,
    long? PreviewJobId = null)
{
    /// <summary>Two requests that would do the same work (the trigger does not matter).</summary>
    public bool SameWorkAs(JobRequest other) =>
        Mode == other.Mode && DryRun == other.DryRun && Count == other.Count && UndoJobId == other.UndoJobId &&
        (ItemKeys ?? []).SequenceEqual(other.ItemKeys ?? []);

    /// <summary>A one-line description for logs and history.</summary>
    public string Describe() => (Mode switch
    {
        JobMode.All => "Rate all tracks",
        JobMode.Recent => $"Rate the {Count} most recently added tracks of each library",
        JobMode.UnratedBatch => $"Rate up to {Count} unrated tracks, newest first",
        JobMode.Items => $"Rate the tracks of {ItemKeys?.Count ?? 0} new item(s)",
        JobMode.Undo => $"Undo job #{UndoJobId}",
        JobMode.UndoAll => "Undo every rating StarSync set",
        JobMode.Clear => "Clear every rating in the selected libraries",
        _ => Mode.ToString(),
    }) + (DryRun ? " (dry run)" : "");
}

/// <summary>A job as the journal keeps it.</summary>
public sealed record JobRecord(
    long Id,
    JobTrigger Trigger,
    JobMode Mode,
    bool DryRun,
    string Description,
    IReadOnlyList<string> Libraries,
    JobStatus Status,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    JobCounts Counts,
    string? Error,
    JobRequest Request);

/// <summary>
/// Live progress of the running job. <see cref="Library"/> is the library being worked on; <see cref="Libraries"/>
/// has each selected library's share. <see cref="EtaSeconds"/> is the whole job's remaining work at the recent rate
/// (null while no rate is known yet, or while <see cref="TotalKnown"/> is false).
/// </summary>
public sealed record JobProgress(
    long JobId,
    string Library,
    JobCounts Counts,
    double WritesPerSecond,
    double? EtaSeconds)
{
    /// <summary>Each library of the job: its tracks looked at out of its total, and where the job is in it.</summary>
    public IReadOnlyList<LibraryProgress> Libraries { get; init; } = [];

    /// <summary>
    /// False only for jobs whose work is found as they go (new items from a webhook or Plex's notifications); every
    /// other job counts all its work before it writes.
    /// </summary>
    public bool TotalKnown { get; init; } = true;

    /// <summary>Plex listed more tracks than it counted up front, so the total was raised (it is never lowered below what was done).</summary>
    public bool TotalCorrected { get; init; }
}

/// <summary>Where a job is in one library.</summary>
public enum LibraryState
{
    /// <summary>Counted; not started yet.</summary>
    Waiting,

    /// <summary>Being worked on.</summary>
    Running,

    /// <summary>Finished.</summary>
    Done,
}

/// <summary>One library's share of a running job: tracks looked at out of its total.</summary>
public sealed record LibraryProgress(string Library, int Done, int Total, LibraryState State);
