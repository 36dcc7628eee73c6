using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>The rules as the API shows them.</summary>
/// <param name="Version">The settings format version the rules are stored in.</param>
/// <param name="IsDefault">True when no rules are saved and the default rule set (style, target, override) is in force.</param>
/// <param name="RatingStyle">The style fixed values are written in.</param>
/// <param name="OverrideRating">With custom rules: re-rate StarSync's own earlier ratings when a rule's value changed.</param>
/// <param name="Rules">The rules in force, in order.</param>
/// <param name="Example">An example rule set for this style (the editor's "load example").</param>
public sealed record RulesDto(int Version, bool IsDefault, string RatingStyle, bool OverrideRating, JsonArray Rules, JsonArray Example)
{
    /// <summary>The music libraries Plex has (a rule's scope is a choice among them); null when Plex could not be asked.</summary>
    public IReadOnlyList<string>? Libraries { get; init; }

    /// <summary>Why <see cref="Libraries"/> is null (Plex's answer in words).</summary>
    public string? LibrariesProblem { get; init; }

    /// <summary>Saved rules whose scope names a library Plex does not have, by field (<c>rules[2].libraries</c>).</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();
}

/// <summary><c>/api/v1/rules</c>: read, replace and preview the rating rules.</summary>
public static class RulesEndpoints
{
    /// <summary>Maps the rules routes on the (authenticated) API group.</summary>
    public static RouteGroupBuilder MapRules(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/rules", GetRules).WithSummary("The rating rules in force (first match wins)");
        api.MapPut("/rules", PutRules).WithSummary("Replace the rating rules ({\"rules\": [...]}, or {\"rules\": null} for the default rule set); validated, saved to settings.json");
        api.MapPost("/rules/preview", Preview).WithSummary(
            "What the rules as posted would do to the unrated tracks, per rule and library; nothing is written. The signals read by one preview are kept for the next ones ({\"refresh\": true} reads Plex again)");
        return api;
    }

    private static async Task<Ok<RulesDto>> GetRules(SettingsStore settings, IPlexClient plex, CancellationToken cancellationToken)
    {
        var current = settings.Current;
        var (libraries, problem) = await MusicLibrariesAsync(plex, cancellationToken);
        return TypedResults.Ok(ToDto(current) with
        {
            Libraries = libraries,
            LibrariesProblem = problem,
            Errors = libraries is null ? new Dictionary<string, string[]>() : UnknownLibraries(current.EffectiveRules, libraries),
        });
    }

    /// <summary>The titles of Plex's music libraries, or why they could not be read.</summary>
    private static async Task<(IReadOnlyList<string>? Libraries, string? Problem)> MusicLibrariesAsync(IPlexClient plex, CancellationToken cancellationToken)
    {
        try
        {
            return ((await plex.GetLibrariesAsync(cancellationToken)).Where(l => l.IsMusic).Select(l => l.Title).ToList(), null);
        }
        catch (PlexException ex)
        {
            return (null, ex.Message);
        }
    }

    /// <summary>One error per rule whose scope names a library Plex does not have (names compared as a rule's scope does).</summary>
    public static Dictionary<string, string[]> UnknownLibraries(IReadOnlyList<RatingRule> rules, IReadOnlyList<string> music)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(music);
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < rules.Count; i++)
        {
            var unknown = rules[i].Libraries.Where(l => !LibraryMatcher.NameMatches(l, music)).ToList();
            if (unknown.Count > 0)
            {
                var names = string.Join(", ", unknown.Select(u => $"'{u}'"));
                var offered = music.Count == 0 ? "Plex has no music library" : "Plex's music libraries: " + string.Join(", ", music);
                errors[$"rules[{i}].libraries"] =
                    [$"Rule '{rules[i].Name}' names {names}, which Plex does not have as a music library ({offered}). Untick it, or tick the library it was renamed to."];
            }
        }

        return errors;
    }

    private static async Task<Results<Ok<RulesDto>, ValidationProblem>> PutRules(HttpRequest request, SettingsStore settings, IPlexClient plex,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await ReadBodyAsync(request, null, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (body is null || !body.ContainsKey("rules"))
        {
            return Invalid("rules", "Send {\"rules\": [...]} with the rules in order, or {\"rules\": null} to go back to the default rule set.");
        }

        IReadOnlyList<RatingRule>? rules = null;
        if (body["rules"] is not null)
        {
            var errors = new Dictionary<string, string[]>();
            rules = RuleJson.Parse(body["rules"], settings.Current.RatingStyle, errors);
            if (rules is null)
            {
                return TypedResults.ValidationProblem(errors, title: "Rules not saved");
            }

            // A scope naming a library Plex does not have would silently never apply. When Plex cannot be asked the rules
            // are saved as they are: a job or preview skips a library it does not find, and the editor shows it later.
            if (rules.Any(r => r.Libraries.Count > 0) && (await MusicLibrariesAsync(plex, cancellationToken)).Libraries is { } music
                && UnknownLibraries(rules, music) is { Count: > 0 } unknown)
            {
                return TypedResults.ValidationProblem(unknown, title: "Rules not saved");
            }
        }

        var saveErrors = await settings.UpdateAsync(s => s with { Rules = rules }, cancellationToken);
        return saveErrors.Count > 0
            ? TypedResults.ValidationProblem(saveErrors, title: "Rules not saved")
            : (await GetRules(settings, plex, cancellationToken));
    }

    private static async Task<Results<Ok<RulesPreviewResult>, ValidationProblem, ProblemHttpResult>> Preview(HttpRequest request, SettingsStore settings,
        RulesPreview preview, IPlexClient plex, CancellationToken cancellationToken)
    {
        var (body, problem) = await ReadBodyAsync(request, "refresh", cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var refresh = false;
        if (body?["refresh"] is { } flag)
        {
            if (flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Invalid("refresh", "'refresh' must be true or false (true reads the libraries from Plex again instead of using the signals kept from the last preview).");
            }

            refresh = flag.GetValue<bool>();
        }

        var current = settings.Current;
        var rules = current.EffectiveRules;
        if (body?["rules"] is { } node)
        {
            var errors = new Dictionary<string, string[]>();
            if (RuleJson.Parse(node, current.RatingStyle, errors) is not { } parsed)
            {
                return TypedResults.ValidationProblem(errors, title: "Rules not valid");
            }

            rules = parsed;
        }

        if (rules.Any(r => r.Libraries.Count > 0) && (await MusicLibrariesAsync(plex, cancellationToken)).Libraries is { } music
            && UnknownLibraries(rules, music) is { Count: > 0 } unknown)
        {
            return TypedResults.ValidationProblem(unknown, title: "Rules not valid");
        }

        try
        {
            return TypedResults.Ok(await preview.PreviewAsync(current, rules, refresh, cancellationToken));
        }
        catch (PlexException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status502BadGateway, title: "Plex did not answer");
        }
    }

    /// <summary>The API shape of the rules in force.</summary>
    public static RulesDto ToDto(StarSyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var example = settings.RatingStyle == RatingStyle.OneStar ? RuleSets.Default(settings.TargetRating) : RuleSets.Example(settings.TargetRating);
        return new RulesDto(RulesSettingsFile.CurrentVersion, settings.Rules is null, settings.RatingStyle.ToName(), settings.OverrideRating,
            RuleJson.Write(settings.EffectiveRules), RuleJson.Write(example));
    }

    // Bodies are read by hand so that every problem can name the rule and field; an empty body means "no rules given".
    private static async Task<(JsonObject? Body, ValidationProblem? Problem)> ReadBodyAsync(HttpRequest request, string? alsoAllowed, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
        {
            return (null, null);
        }

        if (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Invalid("body", "Send the body as JSON (Content-Type: application/json)."));
        }

        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            return (null, Invalid("body", $"The body is not valid JSON ({ex.Message})."));
        }

        if (node is null)
        {
            return (null, null);
        }

        if (node is not JsonObject obj)
        {
            return (null, Invalid("body", "The body must be a JSON object like {\"rules\": [...]}."));
        }

        foreach (var (key, _) in obj)
        {
            if (key != "rules" && key != alsoAllowed)
            {
                return (null, Invalid(key, alsoAllowed is null
                    ? $"'{key}' is not a field here; send {{\"rules\": [...]}}."
                    : $"'{key}' is not a field here; send {{\"rules\": [...], \"{alsoAllowed}\": …}}."));
            }
        }

        return (obj, null);
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid");
}
