using System.Globalization;
using StarSync.Journal;

namespace StarSync.Jobs;

/// <summary>Whether a job has been undone, as the history shows it.</summary>
public enum UndoStatus
{
    /// <summary>None of its changes has been undone.</summary>
    NotUndone,

    /// <summary>Some of its applied changes were undone; the rest were skipped (hand ratings) or not reached.</summary>
    PartlyUndone,

    /// <summary>Every change it applied has been undone.</summary>
    Undone,
}

/// <summary>
/// The one rule for "can this job be undone, and if not, why": the API (409 on a second undo), the history pages
/// (a disabled Undo with the reason) and the CLI all ask here. Computed on the server from the journal, never in JS.
/// </summary>
/// <param name="CanUndo">Whether an undo of the job would do anything.</param>
/// <param name="Reason">Why not, in words; null when it can be undone.</param>
/// <param name="Status">How far it has been undone already.</param>
/// <param name="UndoneBy">The undo jobs that reverted its changes, oldest first.</param>
/// <param name="Conflict">True when the refusal comes from the job's state (already undone, an undo queued, still running, nothing applied): HTTP 409; false for a job of a kind that can never be undone (400).</param>
public sealed record UndoEligibility(bool CanUndo, string? Reason, UndoStatus Status, IReadOnlyList<long> UndoneBy, bool Conflict)
{
    /// <summary>Why <paramref name="job"/> can never be undone, whatever happens later (its kind), or null. The undo itself asks this too.</summary>
    public static string? WhyNever(JobRecord job) =>
        job.Mode is JobMode.Undo or JobMode.UndoAll ? "An undo cannot itself be undone: this job is an undo, and it put back ratings that were there before."
        : job.DryRun ? "A dry run changed nothing, so there is nothing to undo. Use \"Apply this preview\" to run it for real."
        : null;

    /// <summary>
    /// The part of the rule a job's own record answers (its kind and whether it has finished), without the journal:
    /// what every job DTO carries as <c>canUndo</c>. <see cref="Evaluate"/> adds what only the journal knows.
    /// </summary>
    public static string? WhyNot(JobRecord job) =>
        WhyNever(job) ?? (job.Status is JobStatus.Queued or JobStatus.Running
            ? $"The job is still {(job.Status == JobStatus.Queued ? "queued" : "running")} and has not finished; undo it when it has."
            : null);

    /// <summary>Decides for <paramref name="job"/> from its undo tally and any undo of it still queued or running.</summary>
    public static UndoEligibility Evaluate(JobRecord job, UndoTally tally, long? openUndoJob)
    {
        var undoneBy = tally.UndoneBy.Select(u => u.JobId).ToArray();
        var status = tally.Undone == 0 ? UndoStatus.NotUndone
            : tally.Undone >= tally.Applied ? UndoStatus.Undone
            : UndoStatus.PartlyUndone;

        // A kind that can never be undone is a bad request (400); anything about the job's state is a conflict (409).
        var reason = WhyNot(job);
        var conflict = reason is not null && WhyNever(job) is null;
        if (reason is null && openUndoJob is { } open)
        {
            reason = $"Job #{Id(open)} is already undoing this job.";
            conflict = true;
        }
        else if (reason is null && status == UndoStatus.Undone)
        {
            reason = $"Already undone by {string.Join(", ", undoneBy.Select(id => "#" + Id(id)))}.";
            conflict = true;
        }
        else if (reason is null && tally.Applied == 0)
        {
            reason = "This job changed no ratings, so there is nothing to undo.";
            conflict = true;
        }

        return new UndoEligibility(reason is null, reason, status, undoneBy, conflict);
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
