using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Jobs;

/// <summary>
/// Drains the job queue in the background, one job at a time. Before the first job it settles what a previous process
/// left behind: jobs that never finished, and changes journaled as pending whose outcome Plex alone knows.
/// </summary>
public sealed partial class JobRunner(
    JobQueue queue,
    RatingJob ratingJob,
    JournalStore journal,
    IPlexClient plex,
    TimeProvider time,
    ILogger<JobRunner> logger) : BackgroundService
{
    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The schema must exist before the first page or API call reads history.
        await journal.InitializeAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RecoverAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A journal or Plex problem at start must not stop the app; the next start tries again.
            LogLoopError(ex, ex.Message);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await queue.RunNextAsync(ratingJob, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The queue must survive anything (a locked journal, a full disk): log, wait a little, go on.
                LogLoopError(ex, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }
    }

    /// <summary>Closes jobs a previous process left open and reconciles pending changes against Plex.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken) => await RecoverAsync(includeQueued: true, cancellationToken);

    /// <summary>
    /// As <see cref="RecoverAsync(CancellationToken)"/>; a CLI run passes <paramref name="includeQueued"/> false,
    /// because queued jobs may belong to a web app that is running right now.
    /// </summary>
    public async Task RecoverAsync(bool includeQueued, CancellationToken cancellationToken)
    {
        // A CLI run from cron may be running a job right now: its job and pending changes are not leftovers.
        if (!await queue.TryAcquireLeaseAsync(cancellationToken))
        {
            LogRecoverySkipped();
            return;
        }

        try
        {
            await RecoverLeasedAsync(includeQueued, cancellationToken);
        }
        finally
        {
            await queue.ReleaseLeaseAsync(CancellationToken.None);
        }
    }

    private async Task RecoverLeasedAsync(bool includeQueued, CancellationToken cancellationToken)
    {
        foreach (var job in await journal.GetUnfinishedJobsAsync(cancellationToken))
        {
            if (job.Status == JobStatus.Queued && !includeQueued)
            {
                continue;
            }

            var closed = job.Status == JobStatus.Queued
                ? job with { Status = JobStatus.Cancelled, Error = "StarSync restarted before this job ran" }
                : job with { Status = JobStatus.Failed, Error = "Interrupted: StarSync stopped while this job ran" };
            await journal.UpdateJobAsync(closed with { FinishedAt = time.GetUtcNow() }, cancellationToken);
        }

        var pending = await journal.GetPendingChangesAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return;
        }

        try
        {
            var current = (await plex.GetTracksByKeysAsync(pending.Select(p => p.RatingKey).Distinct().ToArray(), cancellationToken))
                .ToDictionary(t => t.RatingKey);
            var outcomes = pending.Select(change => ChangeWriter.ReadBackOutcome(change.Id, change.OldValue, change.NewValue,
                current.GetValueOrDefault(change.RatingKey), "interrupted: StarSync stopped before Plex took it")).ToArray();
            await journal.MarkAsync(outcomes, cancellationToken);
            LogReconciled(outcomes.Length, outcomes.Count(o => o.State == ChangeState.Applied));
        }
        catch (PlexException ex)
        {
            LogReconcileFailed(pending.Count, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "The job runner hit an error and carries on: {Reason}")]
    private partial void LogLoopError(Exception exception, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Another StarSync process is running a job; leaving its journal entries alone")]
    private partial void LogRecoverySkipped();

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Reconciled {Count} changes left pending by the last run against Plex: {Applied} had been applied")]
    private partial void LogReconciled(int count, int applied);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "{Count} changes are still pending from the last run; Plex could not be asked now ({Reason}). They are checked again at the next start")]
    private partial void LogReconcileFailed(int count, string reason);
}
