using System.Globalization;
using Microsoft.Extensions.Options;
using StarSync.Connection;
using StarSync.Plex;

namespace StarSync.Configuration;

/// <summary>Binds <see cref="PlexOptions"/> from the old tool's variables (PLEX_URL, PLEX_TOKEN, ...), keeping what could not be read.</summary>
internal static class PlexOptionsSetup
{
    public static void Read(IConfiguration config, PlexOptions options)
    {
        options.Url = config["PLEX_URL"]?.Trim() ?? "";
        options.Token = config["PLEX_TOKEN"]?.Trim() ?? "";
        // Unset here, they may come from Settings (PlexConnectionOverlay); unset there too, StarSync starts and asks.
        options.UrlSource = options.Url.Length > 0 ? PlexValueSource.Environment : PlexValueSource.NotSet;
        options.TokenSource = options.Token.Length > 0 ? PlexValueSource.Environment : PlexValueSource.NotSet;
        options.ClientIdentifier = config["PLEX_CLIENT_ID"];
        options.TimeoutSeconds = Int(config, "PLEX_TIMEOUT_SECONDS", options.TimeoutSeconds, options.Problems);
        options.PageSize = Int(config, "PLEX_PAGE_SIZE", options.PageSize, options.Problems);
    }

    private static int Int(IConfiguration config, string name, int fallback, List<string> problems)
    {
        if (config[name]?.Trim() is not { Length: > 0 } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        problems.Add($"{name} '{text}' is not a whole number (e.g. {name}={fallback}).");
        return fallback;
    }
}

/// <summary>Every problem of the Plex variables, in one round at start, each naming the variable and what is allowed.</summary>
internal sealed class PlexOptionsValidator : IValidateOptions<PlexOptions>
{
    public ValidateOptionsResult Validate(string? name, PlexOptions options)
    {
        var errors = new List<string>(options.Problems);
        // Missing PLEX_URL / PLEX_TOKEN are not errors: StarSync starts and asks for them in Settings. A value that IS
        // set in the environment must be usable; values saved from Settings were checked when they were saved.
        if (options.UrlSource == PlexValueSource.Environment && !PlexConnectionRules.IsHttpUrl(options.Url))
        {
            errors.Add($"PLEX_URL '{PlexRedaction.Redact(options.Url, options.Token)}' is not an http(s) URL: use e.g. PLEX_URL=http://192.168.1.10:32400.");
        }

        if (options.TokenSource == PlexValueSource.Environment && !PlexConnectionRules.TokenIsPrintable(options.Token))
        {
            errors.Add("PLEX_TOKEN contains spaces, line breaks or non-ASCII characters: copy the token again without them (Plex support article 204059436 shows where to find it).");
        }

        if (options.TimeoutSeconds is < 1 or > 600)
        {
            errors.Add($"PLEX_TIMEOUT_SECONDS '{options.TimeoutSeconds}' must be a whole number of seconds from 1 to 600 (default 30).");
        }

        if (options.PageSize is < 1 or > 1000)
        {
            errors.Add($"PLEX_PAGE_SIZE '{options.PageSize}' must be from 1 to 1000 (Plex warns about larger pages; default 1000).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
