namespace StarSync.Plex;

/// <summary>A Plex request failed; the message says why in words a user can act on, and never contains the token.</summary>
public class PlexException : Exception
{
    public PlexException() { }

    public PlexException(string message) : base(message) { }

    public PlexException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>HTTP status Plex answered with, if it answered.</summary>
    public int? StatusCode { get; init; }
}

/// <summary>Plex refused the token (HTTP 401).</summary>
public sealed class PlexAuthenticationException : PlexException
{
    public PlexAuthenticationException() { }

    public PlexAuthenticationException(string message) : base(message) { }

    public PlexAuthenticationException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>The item does not exist on the server (HTTP 404).</summary>
public sealed class PlexNotFoundException : PlexException
{
    public PlexNotFoundException() { }

    public PlexNotFoundException(string message) : base(message) { }

    public PlexNotFoundException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>No Plex URL is set yet (neither PLEX_URL nor Settings): nothing was sent.</summary>
public sealed class PlexNotConfiguredException : PlexException
{
    /// <summary>What the user sees wherever a job or page needed Plex.</summary>
    public const string Explanation =
        "StarSync is not connected to Plex yet: enter the server URL and token in Settings → Plex connection (or set PLEX_URL and PLEX_TOKEN).";

    public PlexNotConfiguredException() : base(Explanation) { }

    public PlexNotConfiguredException(string message) : base(message) { }

    public PlexNotConfiguredException(string message, Exception? innerException) : base(message, innerException) { }
}
