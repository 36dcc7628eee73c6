using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>
/// Reads and writes rules as JSON (settings.json, the API, the editor), by hand rather than by a serializer so that
/// every problem names the rule and the field (<c>rules[2].when.playsAtLeast</c>), and an unknown field is an error
/// instead of being ignored.
/// </summary>
/// <remarks>
/// Shape: <c>{"name":"Interludes","libraries":["Music"],"when":{"durationUnderSeconds":90},"then":{"kind":"fixed","value":2}}</c>;
/// <c>then.kind</c> is <c>fixed</c> (with <c>value</c>), <c>inherit</c> (optional <c>minRated</c>, <c>priorWeight</c>) or <c>unrated</c>.
/// </remarks>
public static class RuleJson
{
    /// <summary>At most this many rules: each is evaluated per track.</summary>
    public const int MaxRules = 50;

    private const int MaxDays = 36_500;
    private const int MaxSeconds = 86_400;

    private static readonly string[] s_ruleKeys = ["name", "libraries", "when", "then"];
    private static readonly string[] s_thenKeys = ["kind", "value", "minRated", "priorWeight"];
    private static readonly string[] s_whenKeys =
    [
        "playsAtLeast", "playsAtMost", "skipsAtLeast", "skipsAtMost", "lastPlayedOlderThanDays", "lastPlayedWithinDays",
        "neverPlayed", "addedWithinDays", "durationUnderSeconds", "durationOverSeconds", "albumGenres", "albumMoods",
        "albumStyles", "live", "compilation", "artistContains", "albumContains",
    ];

    /// <summary>
    /// Parses a JSON array of rules. Errors are keyed by field path (<c>rules[0].then.value</c>) and each message names
    /// the rule by number and name; the rules are null when there is any error.
    /// </summary>
    public static IReadOnlyList<RatingRule>? Parse(JsonNode? node, RatingStyle style, Dictionary<string, string[]> errors)
    {
        var before = errors.Count;
        if (node is not JsonArray array)
        {
            Add(errors, "rules", "rules must be a JSON array of rules, e.g. [{\"name\":\"Default\",\"then\":{\"kind\":\"fixed\",\"value\":3}}].");
            return null;
        }

        if (array.Count == 0)
        {
            Add(errors, "rules", "Keep at least one rule (the last one usually rates everything else).");
        }

        if (array.Count > MaxRules)
        {
            Add(errors, "rules", $"At most {MaxRules} rules, not {array.Count}.");
        }

        var rules = new List<RatingRule>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (ParseRule(array[i], i, style, errors) is { } rule)
            {
                rules.Add(rule);
            }
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Name.Length > 0 && !names.Add(rules[i].Name))
            {
                Add(errors, $"rules[{i}].name", $"Rule {i + 1} '{rules[i].Name}': name is used by an earlier rule; give each rule its own name (History filters by it).");
            }
        }

        return errors.Count == before && rules.Count == array.Count ? rules : null;
    }

    /// <summary>Checks rules already in memory (after a style change, for example) with the same messages.</summary>
    public static Dictionary<string, string[]> Validate(IReadOnlyList<RatingRule> rules, RatingStyle style)
    {
        var errors = new Dictionary<string, string[]>();
        // Through text: values built in memory (an int) do not convert like parsed JSON numbers do.
        Parse(JsonNode.Parse(Write(rules).ToJsonString()), style, errors);
        return errors;
    }

    /// <summary>The JSON array for <paramref name="rules"/> (unset conditions are left out).</summary>
    public static JsonArray Write(IReadOnlyList<RatingRule> rules)
    {
        var array = new JsonArray();
        foreach (var rule in rules)
        {
            var when = new JsonObject();
            var w = rule.When;
            Put(when, "playsAtLeast", w.PlaysAtLeast);
            Put(when, "playsAtMost", w.PlaysAtMost);
            Put(when, "skipsAtLeast", w.SkipsAtLeast);
            Put(when, "skipsAtMost", w.SkipsAtMost);
            Put(when, "lastPlayedOlderThanDays", w.LastPlayedOlderThanDays);
            Put(when, "lastPlayedWithinDays", w.LastPlayedWithinDays);
            if (w.NeverPlayed is { } never)
            {
                when["neverPlayed"] = never;
            }

            Put(when, "addedWithinDays", w.AddedWithinDays);
            Put(when, "durationUnderSeconds", w.DurationUnderSeconds);
            Put(when, "durationOverSeconds", w.DurationOverSeconds);
            PutList(when, "albumGenres", w.AlbumGenres);
            PutList(when, "albumMoods", w.AlbumMoods);
            PutList(when, "albumStyles", w.AlbumStyles);
            if (w.Live is { } live)
            {
                when["live"] = live;
            }

            if (w.Compilation is { } compilation)
            {
                when["compilation"] = compilation;
            }

            if (w.ArtistContains is { } artist)
            {
                when["artistContains"] = artist;
            }

            if (w.AlbumContains is { } album)
            {
                when["albumContains"] = album;
            }

            var then = new JsonObject { ["kind"] = rule.Then.Kind.ToString().ToLowerInvariant() };
            if (rule.Then.Kind == OutcomeKind.Fixed)
            {
                then["value"] = rule.Then.Value;
            }
            else if (rule.Then.Kind == OutcomeKind.Inherit)
            {
                then["minRated"] = rule.Then.MinRated;
                then["priorWeight"] = rule.Then.PriorWeight;
            }

            array.Add(new JsonObject
            {
                ["name"] = rule.Name,
                ["libraries"] = new JsonArray(rule.Libraries.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
                ["when"] = when,
                ["then"] = then,
            });
        }

        return array;
    }

    private static RatingRule? ParseRule(JsonNode? node, int index, RatingStyle style, Dictionary<string, string[]> errors)
    {
        var path = $"rules[{index}]";
        if (node is not JsonObject obj)
        {
            Add(errors, path, $"Rule {index + 1}: must be a JSON object with name, when and then.");
            return null;
        }

        var name = obj["name"] is JsonValue nv && nv.TryGetValue<string>(out var n) ? n.Trim() : null;
        var label = $"Rule {index + 1}" + (string.IsNullOrEmpty(name) ? "" : $" '{name}'");
        var before = errors.Count;
        void Error(string field, string message) => Add(errors, $"{path}.{field}", $"{label}: {field} {message}");

        Unknown(obj, s_ruleKeys, "", Error);
        if (string.IsNullOrEmpty(name))
        {
            Error("name", "is missing: give the rule a name (at most 60 characters).");
        }
        else if (name.Length > 60)
        {
            Error("name", "is longer than 60 characters.");
        }

        var libraries = Strings(obj["libraries"], "libraries", Error, maxLength: 255) ?? [];
        var when = new RuleConditions();
        if (obj["when"] is { } whenNode)
        {
            if (whenNode is not JsonObject w)
            {
                Error("when", "must be an object of conditions, e.g. {\"durationUnderSeconds\": 90}.");
            }
            else
            {
                Unknown(w, s_whenKeys, "when.", Error);
                when = new RuleConditions
                {
                    PlaysAtLeast = Int(w, "playsAtLeast", 0, 1_000_000, "plays", Error),
                    PlaysAtMost = Int(w, "playsAtMost", 0, 1_000_000, "plays", Error),
                    SkipsAtLeast = Int(w, "skipsAtLeast", 0, 1_000_000, "skips", Error),
                    SkipsAtMost = Int(w, "skipsAtMost", 0, 1_000_000, "skips", Error),
                    LastPlayedOlderThanDays = Int(w, "lastPlayedOlderThanDays", 1, MaxDays, "days", Error),
                    LastPlayedWithinDays = Int(w, "lastPlayedWithinDays", 1, MaxDays, "days", Error),
                    NeverPlayed = Bool(w, "neverPlayed", Error),
                    AddedWithinDays = Int(w, "addedWithinDays", 1, MaxDays, "days", Error),
                    DurationUnderSeconds = Int(w, "durationUnderSeconds", 1, MaxSeconds, "seconds", Error),
                    DurationOverSeconds = Int(w, "durationOverSeconds", 1, MaxSeconds, "seconds", Error),
                    AlbumGenres = Strings(w["albumGenres"], "when.albumGenres", Error, 100),
                    AlbumMoods = Strings(w["albumMoods"], "when.albumMoods", Error, 100),
                    AlbumStyles = Strings(w["albumStyles"], "when.albumStyles", Error, 100),
                    Live = Bool(w, "live", Error),
                    Compilation = Bool(w, "compilation", Error),
                    ArtistContains = Text(w, "artistContains", Error),
                    AlbumContains = Text(w, "albumContains", Error),
                };
                if (when.PlaysAtLeast > when.PlaysAtMost)
                {
                    Error("when.playsAtMost", "is below when.playsAtLeast: no track can match.");
                }

                if (when.SkipsAtLeast > when.SkipsAtMost)
                {
                    Error("when.skipsAtMost", "is below when.skipsAtLeast: no track can match.");
                }

                if (when.DurationOverSeconds >= when.DurationUnderSeconds)
                {
                    Error("when.durationUnderSeconds", "is not above when.durationOverSeconds: no track can match.");
                }

                if (when.NeverPlayed == true && (when.LastPlayedOlderThanDays is not null || when.LastPlayedWithinDays is not null || when.PlaysAtLeast > 0))
                {
                    Error("when.neverPlayed", "contradicts a last-played or plays condition of the same rule: no track can match.");
                }
            }
        }

        var then = new RuleOutcome();
        if (obj["then"] is not JsonObject t)
        {
            Error("then", "is missing: say what the rule does, e.g. {\"kind\":\"fixed\",\"value\":3}, {\"kind\":\"inherit\"} or {\"kind\":\"unrated\"}.");
        }
        else
        {
            Unknown(t, s_thenKeys, "then.", Error);
            var kindText = t["kind"] is JsonValue kv && kv.TryGetValue<string>(out var k) ? k.Trim().ToLowerInvariant() : null;
            OutcomeKind? kind = kindText switch
            {
                "fixed" => OutcomeKind.Fixed,
                "inherit" => OutcomeKind.Inherit,
                "unrated" => OutcomeKind.Unrated,
                _ => null,
            };
            if (kind is null)
            {
                Error("then.kind", $"is {(kindText is null ? "missing" : $"'{kindText}'")}: use fixed, inherit or unrated.");
            }
            else
            {
                then = then with { Kind = kind.Value };
            }

            if (kind == OutcomeKind.Fixed)
            {
                if (t["value"] is not JsonValue vv || !vv.TryGetValue<double>(out var value))
                {
                    Error("then.value", $"is missing or not a number: use {RatingScale.AllowedTargets(style)}.");
                }
                else if (!RatingScale.TryToPlexValue(style, value, out _, out var styleError))
                {
                    Error("then.value", styleError!);
                }
                else
                {
                    then = then with { Value = value };
                }
            }
            else if (t["value"] is not null)
            {
                Error("then.value", "only goes with kind fixed.");
            }

            if (kind == OutcomeKind.Inherit)
            {
                then = then with
                {
                    MinRated = Int(t, "minRated", 1, 1000, "ratings", Error, prefix: "then.") ?? RuleOutcome.DefaultMinRated,
                    PriorWeight = Number(t, "priorWeight", 0, 1000, Error) ?? RuleOutcome.DefaultPriorWeight,
                };
            }
            else if (t["minRated"] is not null || t["priorWeight"] is not null)
            {
                Error(t["minRated"] is not null ? "then.minRated" : "then.priorWeight", "only goes with kind inherit.");
            }
        }

        return errors.Count == before ? new RatingRule { Name = name!, Libraries = libraries, When = when, Then = then } : null;
    }

    private static void Unknown(JsonObject obj, string[] known, string prefix, Action<string, string> error)
    {
        foreach (var (key, _) in obj)
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                error(prefix + key, $"is not a rule field; known here: {string.Join(", ", known)}.");
            }
        }
    }

    private static int? Int(JsonObject obj, string key, int min, int max, string unit, Action<string, string> error, string prefix = "when.")
    {
        var node = obj[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d)
            && d == Math.Floor(d) && d >= min && d <= max)
        {
            return (int)d;
        }

        error(prefix + key, string.Create(CultureInfo.InvariantCulture, $"must be a whole number of {unit} from {min} to {max}."));
        return null;
    }

    private static double? Number(JsonObject obj, string key, double min, double max, Action<string, string> error)
    {
        var node = obj[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d >= min && d <= max)
        {
            return d;
        }

        error("then." + key, string.Create(CultureInfo.InvariantCulture, $"must be a number from {min} to {max}."));
        return null;
    }

    private static bool? Bool(JsonObject obj, string key, Action<string, string> error)
    {
        var node = obj[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        error("when." + key, "must be true or false.");
        return null;
    }

    private static string? Text(JsonObject obj, string key, Action<string, string> error)
    {
        var node = obj[key];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length is > 0 and <= 200)
        {
            return s.Trim();
        }

        error("when." + key, "must be a text of 1 to 200 characters.");
        return null;
    }

    private static IReadOnlyList<string>? Strings(JsonNode? node, string field, Action<string, string> error, int maxLength)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonArray array && array.Count <= 100 && array.All(n => n is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length is > 0 && s.Trim().Length <= maxLength))
        {
            return array.Select(n => n!.GetValue<string>().Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        }

        error(field, $"must be a list of names (each 1 to {maxLength} characters), e.g. [\"Rock\", \"Jazz\"].");
        return null;
    }

    private static void Put(JsonObject obj, string key, int? value)
    {
        if (value is { } v)
        {
            obj[key] = v;
        }
    }

    private static void PutList(JsonObject obj, string key, IReadOnlyList<string>? values)
    {
        if (values is { Count: > 0 })
        {
            obj[key] = new JsonArray(values.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        }
    }

    private static void Add(Dictionary<string, string[]> errors, string key, string message) =>
        errors[key] = errors.TryGetValue(key, out var existing) ? [.. existing, message] : [message];
}
