using System.Text.RegularExpressions;

namespace StarSync.Plex;

/// <summary>Removes Plex tokens from text that may reach a log, an exception or the UI.</summary>
/// <remarks>
/// StarSync only ever sends the token as a header, so its own URLs carry none; this is the belt to those braces,
/// for URLs a user pastes (PLEX_URL=http://host:32400/?X-Plex-Token=...) and for bodies or headers echoed in errors.
/// </remarks>
public static partial class PlexRedaction
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Placeholder = "[redacted]";

    // Query or form parameter: ?X-Plex-Token=abc&... (also percent-encoded '=' as %3D).
    [GeneratedRegex(@"(?<key>X-Plex-Token(?:=|%3D))(?<secret>[^&\s""'#<>]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QueryToken();

    // Header line: "X-Plex-Token: abc".
    [GeneratedRegex(@"(?<key>X-Plex-Token\s*:\s*)(?<secret>[^\s,;""'}]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HeaderToken();

    // JSON property: "X-Plex-Token": "abc".
    [GeneratedRegex(@"(?<key>""X-Plex-Token""\s*:\s*"")(?<secret>[^""]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex JsonToken();

    // plex.tv answers (XML attributes or JSON) carrying server or user tokens: authToken="abc", "accessToken":"abc".
    [GeneratedRegex(@"(?<key>\b""?(?:authToken|accessToken|authenticationToken)""?\s*[=:]\s*"")(?<secret>[^""]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AttributeToken();

    /// <summary>Replaces every token-shaped secret in <paramref name="text"/> with <see cref="Placeholder"/>.</summary>
    public static string Redact(string? text) => Redact(text, knownToken: null);

    /// <summary>As <see cref="Redact(string?)"/>, and also removes the literal <paramref name="knownToken"/> wherever it appears.</summary>
    public static string Redact(string? text, string? knownToken)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var result = QueryToken().Replace(text, Keep);
        result = HeaderToken().Replace(result, Keep);
        result = JsonToken().Replace(result, Keep);
        result = AttributeToken().Replace(result, Keep);

        // A very short "token" would shred ordinary words; real Plex tokens are 20 characters.
        if (!string.IsNullOrWhiteSpace(knownToken) && knownToken.Length >= 4)
        {
            result = result.Replace(knownToken, Placeholder, StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(knownToken);
            if (escaped != knownToken)
            {
                result = result.Replace(escaped, Placeholder, StringComparison.Ordinal);
            }
        }

        return result;
    }

    private static string Keep(Match m) => m.Groups["key"].Value + Placeholder;
}
