using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StarSync.Configuration;
using StarSync.Plex;

namespace StarSync.Rules;

/// <summary>
/// The <c>rules</c> CLI verbs, behind one entry point so whichever command-line parser hosts them only forwards the
/// arguments: <c>rules list</c> prints the rules in force; <c>rules preview [--file rules.json]</c> previews them (or the
/// rules in a JSON file, <c>[...]</c> or <c>{"rules":[...]}</c>) against Plex, writing nothing.
/// </summary>
public sealed class RulesCli(SettingsStore settings, RulesPreview preview)
{
    /// <summary>Usage lines for the CLI's help.</summary>
    public const string Usage = """
          rules list                              list the rating rules in force (first match wins)
          rules preview [--file rules.json]       what the rules (or those in the file) would do; writes nothing
        """;

    /// <summary>Runs <c>rules &lt;verb&gt;</c>; <paramref name="args"/> start after "rules". Returns 0, 1 (Plex failed) or 2 (usage).</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var current = settings.Current;
        switch (args.Count > 0 ? args[0] : null)
        {
            case "list" when args.Count == 1:
                await output.WriteLineAsync(current.Rules is null
                    ? "Default rule set (from RATING_STYLE, TARGET_RATING, OVERRIDE_RATING):"
                    : $"Rules from settings.json (override {(current.OverrideRating ? "on: StarSync's own earlier ratings may change" : "off")}):");
                var rules = current.EffectiveRules;
                for (var i = 0; i < rules.Count; i++)
                {
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {i + 1}. {RulesPreview.Describe(rules[i], current.RatingStyle)}"));
                }

                return 0;
            case "preview" when args.Count == 1 || (args.Count == 3 && args[1] == "--file"):
                var toPreview = current.EffectiveRules;
                if (args.Count == 3)
                {
                    var errors = new Dictionary<string, string[]>();
                    JsonNode? node;
                    try
                    {
                        node = JsonNode.Parse(await File.ReadAllTextAsync(args[2], cancellationToken));
                    }
                    catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
                    {
                        await error.WriteLineAsync($"starsync: cannot read rules from {args[2]}: {ex.Message}");
                        return 2;
                    }

                    if (RuleJson.Parse(node is JsonObject o ? o["rules"] : node, current.RatingStyle, errors) is not { } parsed)
                    {
                        foreach (var message in errors.SelectMany(e => e.Value))
                        {
                            await error.WriteLineAsync($"starsync: {message}");
                        }

                        return 2;
                    }

                    toPreview = parsed;
                }

                try
                {
                    await WritePreviewAsync(await preview.PreviewAsync(current, toPreview, cancellationToken), output);
                    return 0;
                }
                catch (PlexException ex)
                {
                    await error.WriteLineAsync($"starsync: {ex.Message}");
                    return 1;
                }

            default:
                await error.WriteLineAsync("starsync: rules needs list or preview [--file rules.json].");
                await error.WriteLineAsync(Usage);
                return 2;
        }
    }

    private static async Task WritePreviewAsync(RulesPreviewResult result, TextWriter output)
    {
        foreach (var library in result.Libraries)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{library.Library}: {library.Unrated} unrated tracks, {library.Unmatched} taken by no rule ({library.ElapsedMs} ms)"));
            foreach (var rule in library.Rules)
            {
                var bars = string.Join(", ", rule.Histogram.Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Label} x{b.Count}")));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {rule.Index + 1}. {rule.Name}: {rule.Count} tracks{(bars.Length > 0 ? " -> " + bars : "")}"));
                foreach (var sample in rule.Sample.Take(3))
                {
                    await output.WriteLineAsync($"       e.g. {sample.Artist} - {sample.Title}: {sample.Result} ({string.Join("; ", sample.Signals)})");
                }
            }
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Nothing was written. Preview took {result.ElapsedMs} ms."));
    }
}
