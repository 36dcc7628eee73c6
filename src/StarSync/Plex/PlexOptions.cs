namespace StarSync.Plex;

/// <summary>How to reach Plex. Bound from PLEX_URL / PLEX_TOKEN (the old tool's names); checked at start by <c>PlexOptionsValidator</c>.</summary>
public sealed class PlexOptions
{
    /// <summary>Base URL of the Plex Media Server, e.g. http://192.168.1.10:32400 (env PLEX_URL; required).</summary>
    public string Url { get; set; } = "";

    /// <summary>X-Plex-Token of the account whose ratings StarSync writes (env PLEX_TOKEN; required).</summary>
    public string Token { get; set; } = "";

    /// <summary>Stable per-install id sent as X-Plex-Client-Identifier (env PLEX_CLIENT_ID; generated and kept in the config directory when absent).</summary>
    public string? ClientIdentifier { get; set; }

    /// <summary>Per-try timeout for one Plex request, in seconds (env PLEX_TIMEOUT_SECONDS; 1..600, default 30).</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Tracks per page when listing; Plex warns above 1000 (env PLEX_PAGE_SIZE; 1..1000, default 1000).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Values that could not be read, each naming its variable; reported by start-up validation.</summary>
    internal List<string> Problems { get; } = [];
}
