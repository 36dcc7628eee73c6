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
    public void JobChanged(JobRecord job) => Fan(job.Id, job, static (handler, j) => handler.OnJobChanged(j));

    /// <inheritdoc />
    public void Progress(JobProgress progress) => Fan(progress.JobId, progress, static (handler, p) => handler.OnProgress(p));

    /// <summary>Calls every handler in turn; one that throws is logged and the others still get the event.</summary>
    private void Fan<T>(long jobId, T value, Action<IJobEventHandler, T> call)
    {
        foreach (var handler in _handlers.Value)
        {
            try
            {
                call(handler, value);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(ex, handler.GetType().Name, jobId);
            }
        }
    }

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Job event handler {Handler} failed for job #{JobId}; the job goes on")]
    private partial void LogHandlerFailed(Exception exception, string handler, long jobId);
}
