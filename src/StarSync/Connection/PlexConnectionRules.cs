using StarSync.Plex;

namespace StarSync.Connection;

/// <summary>What a usable Plex URL and token look like; one home for the rule, used by Settings, start-up and the test button.</summary>
public static class PlexConnectionRules
{
    /// <summary>The problems of a URL and token entered in Settings ("" = not given), keyed by field, in the words of the labels.</summary>
    public static IEnumerable<(string Key, string Message)> Problems(string url, string token)
    {
        if (url.Length > 0 && !IsHttpUrl(url))
        {
            yield return ("plexUrl", $"Plex server URL \"{PlexRedaction.Redact(url, token)}\" is not an http(s) address: enter it like http://192.168.1.10:32400.");
        }

        if (token.Length > 0 && !TokenIsPrintable(token))
        {
            yield return ("plexToken", "Plex token contains spaces, line breaks or non-ASCII characters: copy it again without them.");
        }
    }

    /// <summary>An absolute http or https URL.</summary>
    public static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    /// <summary>Only printable ASCII: a token is sent as a header, and a pasted line break or space is a copy mistake.</summary>
    public static bool TokenIsPrintable(string token) => token.All(c => c is > ' ' and < (char)127);
}
