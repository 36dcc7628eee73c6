namespace StarSync.Journal;

/// <summary>Where one change to Plex stands.</summary>
public enum ChangeState
{
    /// <summary>Written before the PUT; if StarSync stops here, start-up reconciles it against Plex.</summary>
    Pending,

    /// <summary>Plex has the new value.</summary>
    Applied,

    /// <summary>The write failed, or was interrupted before Plex took it.</summary>
    Failed,

    /// <summary>A dry run's "would change".</summary>
    Planned,

    /// <summary>Not written on purpose, e.g. an undo found the rating changed by someone since.</summary>
    Skipped,
}

/// <summary>A change about to be made. Values are Plex 0..10; null means unrated (old) or cleared (new).</summary>
public sealed record ChangeDraft(
    string RatingKey,
    string Library,
    string? Artist,
    string? Album,
    string? Title,
    double? OldValue,
    double? NewValue)
{
    /// <summary>The rating rule that decided the change (null for undo, clear, and changes from before rules).</summary>
    public string? Rule { get; init; }
}

/// <summary>A journaled change.</summary>
public sealed record ChangeRecord(
    long Id,
    long JobId,
    string RatingKey,
    string Library,
    string? Artist,
    string? Album,
    string? Title,
    double? OldValue,
    double? NewValue,
    DateTimeOffset Time,
    ChangeState State,
    string? Error)
{
    /// <summary>The rating rule that decided the change, if any.</summary>
    public string? Rule { get; init; }
}

/// <summary>One page of a job's changes.</summary>
public sealed record ChangePage(int Total, IReadOnlyList<ChangeRecord> Items);

/// <summary>What an undo would restore for one track: the value before StarSync's first change and the value StarSync last set.</summary>
public sealed record UndoCandidate(
    long LastChangeId,
    string RatingKey,
    string Library,
    string? Artist,
    string? Album,
    string? Title,
    double? RestoreTo,
    double? ExpectedCurrent);

/// <summary>The outcome of one journaled change.</summary>
public sealed record ChangeOutcome(long ChangeId, ChangeState State, string? Error = null);

/// <summary>What the first later journaled change of the same track saw: the track's value when that job looked.</summary>
public sealed record LaterObservation(long ChangeId, long JobId, double? OldValue);

/// <summary>A change left pending, with the first later change of the same track, if any.</summary>
public sealed record PendingChange(ChangeRecord Change, LaterObservation? Later);

/// <summary>A job's journal rows by outcome: applied rows by kind (old unrated = rated, new unrated = cleared, else updated).</summary>
public sealed record ChangeTally(int Rated, int Updated, int Cleared, int Failed, int Skipped, int Pending);

/// <summary>How many rows (or tracks) of one library.</summary>
public sealed record LibraryCount(string Library, int Count);
