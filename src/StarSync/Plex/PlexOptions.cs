using System.ComponentModel.DataAnnotations;

namespace StarSync.Plex;

/// <summary>How to reach Plex. Bound from PLEX_URL / PLEX_TOKEN (the old tool's names).</summary>
public sealed class PlexOptions
{
    /// <summary>Base URL of the Plex Media Server, e.g. http://192.168.1.10:32400 (env PLEX_URL).</summary>
    [Required(ErrorMessage = "PLEX_URL is not set. Set it to your Plex server's address, e.g. PLEX_URL=http://192.168.1.10:32400.")]
    public string Url { get; set; } = "";

    /// <summary>X-Plex-Token of the account whose ratings StarSync writes (env PLEX_TOKEN).</summary>
    [Required(ErrorMessage = "PLEX_TOKEN is not set. Set it to your Plex token (see https://support.plex.tv/articles/204059436).")]
    public string Token { get; set; } = "";

    /// <summary>Stable per-install id sent as X-Plex-Client-Identifier (env PLEX_CLIENT_ID; generated and kept in the config directory when absent).</summary>
    public string? ClientIdentifier { get; set; }

    /// <summary>Per-try timeout for one Plex request, in seconds (env PLEX_TIMEOUT_SECONDS; default 30).</summary>
    [Range(1, 600, ErrorMessage = "PLEX_TIMEOUT_SECONDS must be between 1 and 600.")]
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Tracks per page when listing; Plex warns above 1000 (env PLEX_PAGE_SIZE; default 1000).</summary>
    [Range(1, 1000, ErrorMessage = "PLEX_PAGE_SIZE must be between 1 and 1000: Plex warns about larger pages and may refuse them.")]
    public int PageSize { get; set; } = 1000;
}
