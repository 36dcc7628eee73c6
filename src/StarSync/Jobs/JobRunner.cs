using StarSync.Journal;

namespace StarSync.Jobs;

/// <summary>
/// The web app's background loop: drains the job queue through the <see cref="JobExecutor"/>, one job at a time.
/// At start it waits for the runner lease and settles what a previous process left behind (jobs that never finished,
/// queued jobs of a process that is gone, changes whose outcome Plex alone knows); the executor settles them again
/// before every job, so no restart timing leaves them unresolved.
/// </summary>
public sealed partial class JobRunner(
    JobExecutor executor,
    JournalStore journal,
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
            // A live CLI run may hold the lease: then its rows are not leftovers, and the executor recovers before
            // the next job this process runs.
            await executor.RecoverAsync(includeQueued: true, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A journal or Plex problem at start must not stop the app; the executor tries again before each job.
            LogLoopError(ex, ex.Message);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await executor.RunNextAsync(stoppingToken);
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

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "The job runner hit an error and carries on: {Reason}")]
    private partial void LogLoopError(Exception exception, string reason);
}
