namespace StarSync.Configuration;

/// <summary>URL_BASE: the path StarSync is served under behind a reverse proxy (e.g. /starsync), or empty.</summary>
public static class UrlBase
{
    /// <summary>Normalizes "starsync/", "/starsync/" to "/starsync"; null with <paramref name="error"/> when it cannot be a path.</summary>
    public static string? Parse(string? value, out string? error)
    {
        error = null;
        var trimmed = value?.Trim() ?? "";
        if (trimmed.Length == 0 || trimmed == "/")
        {
            return "";
        }

        var path = "/" + trimmed.Trim('/');
        if (path.IndexOfAny(['?', '#', ' ', '\\', ':']) >= 0 || path.Contains("//", StringComparison.Ordinal) || !Uri.IsWellFormedUriString(path, UriKind.Relative))
        {
            error = $"URL_BASE '{value}' is not a URL path: use e.g. URL_BASE=/starsync (or leave it empty).";
            return null;
        }

        return path;
    }
}
