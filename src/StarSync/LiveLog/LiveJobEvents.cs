using StarSync.Api;
using StarSync.Jobs;

namespace StarSync.LiveLog;

/// <summary>Job and progress events to every open dashboard, over the live stream (SSE).</summary>
public sealed class LiveJobEvents(IEventBus bus) : IJobEventHandler
{
    /// <inheritdoc />
    public void OnJobChanged(JobRecord job) => bus.Publish(LiveEventTypes.Job, job.ToDto());

    /// <inheritdoc />
    public void OnProgress(JobProgress progress) => bus.Publish(LiveEventTypes.Progress, progress.ToDto());
}
