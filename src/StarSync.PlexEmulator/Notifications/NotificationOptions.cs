namespace StarSync.PlexEmulator;

/// <summary>
/// How the emulated notification websocket (<c>/:/websockets/notifications</c>, plex-api.md §9b) behaves; may be
/// changed while the server runs.
/// </summary>
public sealed class NotificationOptions
{
    /// <summary>Interval of the server's websocket PING frames (clients answer PONG). Default 10 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A client that does not answer a PING within this time is disconnected. Default 30 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between the stages of a scan (created, processing, processed, scan complete). Default none.</summary>
    public TimeSpan StepDelay { get; set; }

    /// <summary>Most timeline entries in one frame; PMS batches entries, so a scan sends frames with several.</summary>
    public int MaxEntriesPerFrame { get; set; } = 40;

    /// <summary>Refuse every upgrade with 401, even with the right token (as for a token the server no longer knows).</summary>
    public bool RefuseConnections { get; set; }

    /// <summary>0 = off; otherwise every Nth frame sent is preceded by a frame that is not valid JSON.</summary>
    public int GarbageEveryFrames { get; set; }

    /// <summary>
    /// Section keys whose library has no metadata agent (<c>agent="tv.plex.agents.none"</c>): their items stop at
    /// state 1, as PMS does without an agent (plex-api.md §9b).
    /// </summary>
    public ISet<string> SectionsWithoutAgent { get; } = new HashSet<string>(StringComparer.Ordinal);
}
