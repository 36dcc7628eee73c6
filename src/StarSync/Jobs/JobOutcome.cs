using System.Globalization;

namespace StarSync.Jobs;

/// <summary>A job's outcome as the user reads it; refines <see cref="JobStatus"/> (which stays as persisted).</summary>
public enum JobOutcomeKind
{
    /// <summary>Waiting for the runner.</summary>
    Queued,

    /// <summary>Running now.</summary>
    Running,

    /// <summary>Finished, and every write took (or, for a dry run, the preview is complete).</summary>
    Succeeded,

    /// <summary>Finished, but Plex refused some writes.</summary>
    CompletedWithFailures,

    /// <summary>Stopped by an error.</summary>
    Failed,

    /// <summary>Stopped on request or by shutdown.</summary>
    Cancelled,
}

/// <summary>
/// The one place that puts a job's outcome into words, for the API, the history pages and the CLI: "cancelled" with
/// what was done and what was not sent, "completed with 3 failures" rather than "succeeded", "Would rate 3,415" for a
/// dry run.
/// </summary>
/// <param name="Kind">The outcome.</param>
/// <param name="Label">A few words for a badge: "succeeded", "completed with 3 failures", "cancelled", "dry run".</param>
/// <param name="Summary">One sentence of what happened, in numbers: "Rated 120 · 613 not sent · 2,000 not looked at".</param>
public sealed record JobOutcome(JobOutcomeKind Kind, string Label, string Summary)
{
    /// <summary>
    /// The outcome of <paramref name="job"/>. <paramref name="notSent"/> is how many of its failures were journaled but
    /// never sent (<see cref="Journal.JournalStore.CountNotSentAsync"/>); 0 when unknown or when nothing failed.
    /// </summary>
    public static JobOutcome Of(JobRecord job, int notSent = 0)
    {
        var c = job.Counts;
        notSent = Math.Clamp(notSent, 0, c.Failed);
        var failed = c.Failed - notSent;
        var kind = job.Status switch
        {
            JobStatus.Queued => JobOutcomeKind.Queued,
            JobStatus.Running => JobOutcomeKind.Running,
            JobStatus.Succeeded when failed > 0 => JobOutcomeKind.CompletedWithFailures,
            JobStatus.Succeeded => JobOutcomeKind.Succeeded,
            JobStatus.Failed => JobOutcomeKind.Failed,
            _ => JobOutcomeKind.Cancelled,
        };
        var label = kind switch
        {
            JobOutcomeKind.CompletedWithFailures => $"completed with {N(failed)} {(failed == 1 ? "failure" : "failures")}",
            JobOutcomeKind.Succeeded when job.DryRun => "dry run",
            JobOutcomeKind.Queued => "queued",
            JobOutcomeKind.Running => "running",
            JobOutcomeKind.Succeeded => "succeeded",
            JobOutcomeKind.Failed => "failed",
            _ => "cancelled",
        };
        return new JobOutcome(kind, label, Summarize(job, kind, failed, notSent));
    }

    private static string Summarize(JobRecord job, JobOutcomeKind kind, int failed, int notSent)
    {
        var c = job.Counts;
        if (kind == JobOutcomeKind.Queued)
        {
            return "Waiting to start";
        }

        var parts = new List<string>();
        var verb = job.DryRun ? "would " : "";
        void Add(int count, string what)
        {
            if (count > 0)
            {
                parts.Add($"{verb}{what} {N(count)}");
            }
        }

        Add(c.Rated, job.DryRun ? "rate" : "rated");
        Add(c.Updated, job.DryRun ? "update" : "updated");
        Add(c.Cleared, job.DryRun ? "clear" : "cleared");
        Add(c.Restored, job.DryRun ? "restore" : "restored");
        if (c.Skipped > 0)
        {
            parts.Add($"{N(c.Skipped)} skipped");
        }

        if (failed > 0)
        {
            parts.Add($"{N(failed)} failed");
        }

        if (notSent > 0)
        {
            parts.Add($"{N(notSent)} not sent");
        }

        var notLookedAt = c.Total - c.Done;
        if (kind is JobOutcomeKind.Running && c.Total > 0)
        {
            parts.Add($"{N(c.Done)} of {N(c.Total)} looked at");
        }
        else if (kind is JobOutcomeKind.Cancelled or JobOutcomeKind.Failed && notLookedAt > 0)
        {
            parts.Add($"{N(notLookedAt)} not looked at");
        }

        if (parts.Count == 0)
        {
            return job.DryRun ? "Would change nothing" : kind == JobOutcomeKind.Running ? "Starting" : "Nothing to change";
        }

        var text = string.Join(" · ", parts);
        return char.ToUpperInvariant(text[0]) + text[1..];
    }

    private static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
