using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Status;

namespace StarSync.Connection;

/// <summary>The Plex connection as Settings shows it. The token is the one secret this page may show (masked until revealed).</summary>
/// <param name="Url">The URL in force ("" = none).</param>
/// <param name="Token">The token in force ("" = none).</param>
/// <param name="UrlSource">"environment" (PLEX_URL wins; the field is read-only), "settings.json" or "not set".</param>
/// <param name="TokenSource">As <paramref name="UrlSource"/>, for PLEX_TOKEN.</param>
/// <param name="Configured">Both are set: StarSync talks to Plex.</param>
public sealed record PlexConnectionDto(string Url, string Token, string UrlSource, string TokenSource, bool Configured);

/// <summary>A new Plex URL and/or token from Settings (absent = unchanged; an emptied field is an error).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PlexConnectionUpdate(string? Url, string? Token);

/// <summary>What "Test connection" asks with: the form's URL and token, before they are saved (absent = the ones in force).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PlexTestRequest(string? Url, string? Token);

/// <summary>The outcome of "Test connection": the server and its music libraries, or the cause in words.</summary>
public sealed record PlexTestDto(bool Ok, string State, string Message, string? ServerName, string? Version, IReadOnlyList<string> MusicLibraries);

/// <summary>/api/v1/plex: read, change and test the Plex connection; the health the banner shows.</summary>
public static class PlexConnectionEndpoints
{
    /// <summary>Maps the routes on the (authenticated) /api/v1 group.</summary>
    public static RouteGroupBuilder MapPlexConnection(this RouteGroupBuilder api)
    {
        var plex = api.MapGroup("/plex");
        plex.MapGet("/", Get).WithSummary("The Plex URL and token in force and where each comes from (the environment wins over Settings)");
        plex.MapPut("/", Put).WithSummary("Save a new Plex URL and/or token to settings.json (owner-only); applied at once");
        plex.MapPost("/test", Test).WithSummary("Ask Plex directly (no retries, no circuit breaker) with the given URL and token: server, version and music libraries, or the cause");
        plex.MapGet("/health", Health).WithSummary("Is Plex reachable and accepting the token? (cached a few seconds); the health banner shows it");
        return api;
    }

    private static Ok<PlexConnectionDto> Get(IOptionsMonitor<PlexOptions> options) => TypedResults.Ok(ToDto(options.CurrentValue));

    private static async Task<Results<Ok<PlexConnectionDto>, ValidationProblem>> Put(PlexConnectionUpdate body, SettingsStore settings,
        IOptionsMonitor<PlexOptions> options, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        var errors = new Dictionary<string, string[]>();
        var url = Check(body.Url, current.Url, current.UrlSource, "plexUrl", "Plex server URL", "PLEX_URL", errors);
        var token = Check(body.Token, current.Token, current.TokenSource, "plexToken", "Plex token", "PLEX_TOKEN", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Plex connection not saved");
        }

        var saved = await settings.UpdateAsync(s => s with { PlexUrl = url ?? s.PlexUrl, PlexToken = token ?? s.PlexToken }, cancellationToken);
        var mine = saved.Where(e => e.Key is "plexUrl" or "plexToken").ToDictionary();
        if (saved.Count > 0)
        {
            // Another setting in the file is invalid: say so rather than pretend it is about these fields.
            return TypedResults.ValidationProblem(mine.Count > 0 ? mine : saved.ToDictionary(), title: "Plex connection not saved");
        }

        return TypedResults.Ok(ToDto(options.CurrentValue));
    }

    // null = keep; a value the environment pins must equal it (the field is read-only there); "" = error.
    private static string? Check(string? given, string inForce, PlexValueSource source, string key, string label, string variable,
        Dictionary<string, string[]> errors)
    {
        if (given is null)
        {
            return null;
        }

        given = given.Trim();
        if (source == PlexValueSource.Environment)
        {
            if (!string.Equals(given, inForce, StringComparison.Ordinal))
            {
                errors[key] = [$"{label} is set by {variable} in the environment (or .env), which wins over this field: change or unset {variable} and restart StarSync."];
            }

            return null;
        }

        if (given.Length == 0)
        {
            errors[key] = [$"{label} is empty: enter it" + (key == "plexUrl" ? " (e.g. http://192.168.1.10:32400)." : " (Plex support article 204059436 shows where to find it).")];
            return null;
        }

        return given;
    }

    private static async Task<Ok<PlexTestDto>> Test(PlexTestRequest body, PlexProbe probe, IOptionsMonitor<PlexOptions> options, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        var result = await probe.ProbeAsync(body.Url ?? current.Url, body.Token ?? current.Token, current.ClientIdentifier, current.TimeoutSeconds,
            listLibraries: true, cancellationToken);
        return TypedResults.Ok(new PlexTestDto(result.Ok, PlexConnection.StateOf(result.Problem), result.Message, result.ServerName, result.Version, result.MusicLibraries));
    }

    private static async Task<Ok<PlexConnection>> Health(PlexStatus status, CancellationToken cancellationToken) =>
        TypedResults.Ok(await status.GetConnectionAsync(refresh: false, cancellationToken));

    private static PlexConnectionDto ToDto(PlexOptions o) =>
        new(o.Url, o.Token, SourceName(o.UrlSource), SourceName(o.TokenSource), o.IsConfigured);

    /// <summary>How the UI names a source.</summary>
    public static string SourceName(PlexValueSource source) => source switch
    {
        PlexValueSource.Environment => "environment",
        PlexValueSource.SettingsFile => "settings.json",
        _ => "not set",
    };
}
