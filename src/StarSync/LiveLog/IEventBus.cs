namespace StarSync.LiveLog;

/// <summary>
/// In-process fan-out of UI events (job progress, job status changes, ...) to every open browser tab.
/// Lossy by design: a slow subscriber drops its oldest events, and nothing is replayed on reconnect
/// (only log lines are), so publish state snapshots (a whole Progress, a whole Job), not deltas.
/// </summary>
public interface IEventBus
{
    /// <summary>Sends <paramref name="payload"/> (serialized as camelCase JSON) as SSE <c>event: {eventType}</c> to every subscriber. Never blocks.</summary>
    void Publish(string eventType, object payload);
}

/// <summary>The event types the UI listens to.</summary>
public static class LiveEventTypes
{
    /// <summary>A log line; the only event type that carries an SSE id.</summary>
    public const string Log = "log";

    /// <summary>Payload: the running job's Progress.</summary>
    public const string Progress = "progress";

    /// <summary>Payload: a Job whose status changed.</summary>
    public const string Job = "job";
}
