namespace StarSync.Notifications;

/// <summary>Where the notification listener is.</summary>
public enum ListenerState
{
    /// <summary>PLEX_NOTIFICATIONS is false.</summary>
    Off,

    /// <summary>Opening the websocket.</summary>
    Connecting,

    /// <summary>Listening.</summary>
    Connected,

    /// <summary>Waiting before the next attempt.</summary>
    Reconnecting,

    /// <summary>Plex refused the token; no retries until it changes.</summary>
    Stopped,
}

/// <summary>The last frame the listener acted on (or skipped), in words.</summary>
public sealed record NotificationEvent(string Type, string Description, DateTimeOffset At);

/// <summary>What the listener is doing and has seen, for the dashboard and the API.</summary>
public sealed record NotificationSnapshot(
    ListenerState State,
    DateTimeOffset? Since,
    int Attempt,
    DateTimeOffset? NextAttemptAt,
    string? Problem,
    NotificationEvent? LastEvent,
    long FramesReceived,
    long FramesDropped,
    long OversizedFrames,
    long MalformedFrames,
    long ItemsQueued,
    long CatchUps);

/// <summary>The listener's state, written by the listener and read by the status API.</summary>
public sealed class NotificationStatus
{
    private readonly Lock _lock = new();
    private NotificationSnapshot _snapshot = new(ListenerState.Off, null, 0, null, null, null, 0, 0, 0, 0, 0, 0);

    /// <summary>The state now.</summary>
    public NotificationSnapshot Snapshot()
    {
        lock (_lock)
        {
            return _snapshot;
        }
    }

    internal void Update(Func<NotificationSnapshot, NotificationSnapshot> change)
    {
        lock (_lock)
        {
            _snapshot = change(_snapshot);
        }
    }
}
