namespace StarSync.Jobs;

/// <summary>
/// The one rule for "can this job be undone?", used by the API (and through its DTO by the UI) and by the undo itself.
/// Rating runs and clears can be undone (a clear is journaled like any change); dry runs changed nothing, and undoing
/// an undo would write ratings that "undo everything" could no longer find.
/// </summary>
public static class UndoEligibility
{
    /// <summary>Why <paramref name="job"/> cannot be undone now, or null when it can.</summary>
    public static string? WhyNot(JobRecord job) =>
        job.Status is JobStatus.Queued or JobStatus.Running
            ? $"Job #{job.Id} has not finished yet; it can be undone when it has."
            : WhyNever(job);

    /// <summary>Why <paramref name="job"/> can never be undone, whatever its state, or null.</summary>
    public static string? WhyNever(JobRecord job) =>
        job.DryRun ? $"Job #{job.Id} is a dry run; it changed nothing that could be undone."
        : job.Mode is JobMode.Undo or JobMode.UndoAll ? $"Job #{job.Id} is an undo; it changed nothing that could be undone."
        : null;
}
