using StarSync.Jobs;
using StarSync.Journal;

namespace StarSync.Tests.Jobs;

/// <summary>The outcome in words and the undo rule: the one place both are decided.</summary>
[Trait("Category", "Unit")]
public sealed class JobOutcomeTests
{
    private static JobRecord Job(JobStatus status, JobCounts counts, JobMode mode = JobMode.All, bool dryRun = false) =>
        new(7, JobTrigger.Manual, mode, dryRun, "d", ["Music"], status, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            counts, null, new JobRequest(JobTrigger.Manual, mode, dryRun, UndoJobId: mode == JobMode.Undo ? 3 : null));

    [Fact]
    public void A_cancelled_job_says_what_was_done_what_was_not_sent_and_what_was_not_looked_at()
    {
        var outcome = JobOutcome.Of(Job(JobStatus.Cancelled, new JobCounts(Total: 4000, Done: 733, Rated: 120, Failed: 613)), notSent: 613);
        Assert.Equal(JobOutcomeKind.Cancelled, outcome.Kind);
        Assert.Equal("cancelled", outcome.Label);
        Assert.Equal("Rated 120 · 613 not sent · 3,267 not looked at", outcome.Summary);
    }

    [Fact]
    public void Failed_writes_make_completed_with_failures_never_succeeded()
    {
        var outcome = JobOutcome.Of(Job(JobStatus.Succeeded, new JobCounts(10, 10, Rated: 9, Failed: 1)));
        Assert.Equal(JobOutcomeKind.CompletedWithFailures, outcome.Kind);
        Assert.Equal("completed with 1 failure", outcome.Label);
        Assert.Equal("Rated 9 · 1 failed", outcome.Summary);
    }

    [Fact]
    public void A_dry_run_says_would()
    {
        var outcome = JobOutcome.Of(Job(JobStatus.Succeeded, new JobCounts(3500, 3500, Rated: 3415, Updated: 2, Skipped: 83), dryRun: true));
        Assert.Equal("dry run", outcome.Label);
        Assert.Equal("Would rate 3,415 · would update 2 · 83 skipped", outcome.Summary);
    }

    [Fact]
    public void An_undone_job_cannot_be_undone_again_and_says_by_which_job()
    {
        var job = Job(JobStatus.Succeeded, new JobCounts(5, 5, Rated: 5));
        var undo = UndoEligibility.Evaluate(job, new UndoTally([new UndoneByJob(9, 5)], 5), null);
        Assert.False(undo.CanUndo);
        Assert.True(undo.Conflict);
        Assert.Equal(UndoStatus.Undone, undo.Status);
        Assert.Equal("Already undone by #9.", undo.Reason);

        var partly = UndoEligibility.Evaluate(job, new UndoTally([new UndoneByJob(9, 3)], 5), null);
        Assert.True(partly.CanUndo);
        Assert.Equal(UndoStatus.PartlyUndone, partly.Status);

        var queued = UndoEligibility.Evaluate(job, UndoTally.None with { Applied = 5 }, openUndoJob: 11);
        Assert.Equal("Job #11 is already undoing this job.", queued.Reason);
    }

    [Theory]
    [InlineData(JobMode.Undo, false, "An undo cannot itself be undone")]
    [InlineData(JobMode.All, true, "A dry run changed nothing")]
    public void Undos_and_dry_runs_are_never_undoable(JobMode mode, bool dryRun, string reason)
    {
        var undo = UndoEligibility.Evaluate(Job(JobStatus.Succeeded, new JobCounts(5, 5, Restored: 5), mode, dryRun), UndoTally.None, null);
        Assert.False(undo.CanUndo);
        Assert.False(undo.Conflict);
        Assert.StartsWith(reason, undo.Reason, StringComparison.Ordinal);
    }
}
