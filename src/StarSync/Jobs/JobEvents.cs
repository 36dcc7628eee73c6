namespace StarSync.Jobs;

/// <summary>
/// The one sink for job events: the queue and the executor report here, and every feature that cares (live log,
/// dashboard cache, metrics, schedule) registers an <see cref="IJobEventHandler"/> in its own <c>Add…()</c>.
/// </summary>
public interface IJobEvents
{
    /// <summary>A job was queued, started, or ended (with its final counts).</summary>
    void JobChanged(JobRecord job);

    /// <summary>The running job's counters (a few times a second at most).</summary>
    void Progress(JobProgress progress);
}

/// <summary>Receives job events; register with <see cref="JobsExtensions.AddJobEventHandler{T}"/>. Handlers must be quick and must not block.</summary>
public interface IJobEventHandler
{
    /// <summary>A job was queued, started, or ended.</summary>
    void OnJobChanged(JobRecord job)
    {
    }

    /// <summary>The running job's counters.</summary>
    void OnProgress(JobProgress progress)
    {
    }
}

/// <summary>
/// Fans job events out to every registered handler. Handlers are resolved on the first event, not at composition,
/// so a handler may depend on the queue without a cycle; a failing handler is logged and never stops a job.
/// </summary>
public sealed partial class JobEvents(IServiceProvider services, ILogger<JobEvents> logger) : IJobEvents
{
    private readonly Lazy<IJobEventHandler[]> _handlers = new(() => services.GetServices<IJobEventHandler>().ToArray());

    /// <inheritdoc />
    public void JobChanged(JobRecord job)
    {
        foreach (var handler in _handlers.Value)
        {
            try
            {
                handler.OnJobChanged(job);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(ex, handler.GetType().Name, job.Id);
            }
        }
    }

    /// <inheritdoc />
    public void Progress(JobProgress progress)
    {
        foreach (var handler in _handlers.Value)
        {
            try
            {
                handler.OnProgress(progress);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(ex, handler.GetType().Name, progress.JobId);
            }
        }
    }

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Job event handler {Handler} failed for job #{JobId}; the job goes on")]
    private partial void LogHandlerFailed(Exception exception, string handler, long jobId);
}
