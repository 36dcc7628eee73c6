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
