namespace StarSync.Plex;

/// <summary>
/// How to reach Plex. Bound from PLEX_URL / PLEX_TOKEN (the old tool's names), else from the URL and token saved in
/// Settings (settings.json); checked at start by <c>PlexOptionsValidator</c>. Both may be missing: StarSync then
/// starts and asks for them (<see cref="IsConfigured"/>).
/// </summary>
public sealed class PlexOptions
{
    /// <summary>Base URL of the Plex Media Server, e.g. http://192.168.1.10:32400 (env PLEX_URL, else Settings; "" = not set up yet).</summary>
    public string Url { get; set; } = "";

    /// <summary>X-Plex-Token of the account whose ratings StarSync writes (env PLEX_TOKEN, else Settings; "" = not set up yet).</summary>
    public string Token { get; set; } = "";

    /// <summary>Stable per-install id sent as X-Plex-Client-Identifier (env PLEX_CLIENT_ID; generated and kept in the config directory when absent).</summary>
    public string? ClientIdentifier { get; set; }

    /// <summary>Per-try timeout for one Plex request, in seconds (env PLEX_TIMEOUT_SECONDS; 1..600, default 30).</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Tracks per page when listing; Plex warns above 1000 (env PLEX_PAGE_SIZE; 1..1000, default 1000).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Where <see cref="Url"/> came from.</summary>
    public PlexValueSource UrlSource { get; set; }

    /// <summary>Where <see cref="Token"/> came from.</summary>
    public PlexValueSource TokenSource { get; set; }

    /// <summary>Both the URL and the token are set: StarSync may talk to Plex. Until then jobs, the schedule and the listener wait.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url) && !string.IsNullOrWhiteSpace(Token);

    /// <summary>Values that could not be read, each naming its variable; reported by start-up validation.</summary>
    internal List<string> Problems { get; } = [];
}

/// <summary>Where the Plex URL or token in force came from.</summary>
public enum PlexValueSource
{
    /// <summary>Not set anywhere yet.</summary>
    NotSet,

    /// <summary>PLEX_URL / PLEX_TOKEN in the environment or .env: it wins over the one saved in Settings.</summary>
    Environment,

    /// <summary>Saved from the Settings page (settings.json).</summary>
    SettingsFile,
}
