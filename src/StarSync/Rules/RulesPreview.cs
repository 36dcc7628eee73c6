using System.Diagnostics;
using System.Globalization;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>One bar of a preview histogram: how many tracks a rule would give this value.</summary>
/// <param name="Label">"3★", "3.5★", or "unrated".</param>
/// <param name="PlexValue">The 0..10 value, null for "leave unrated".</param>
/// <param name="Count">Tracks.</param>
public sealed record HistogramBar(string Label, double? PlexValue, int Count);

/// <summary>One sample track with the signals that made its rule match.</summary>
public sealed record PreviewSample(string RatingKey, string? Artist, string? Album, string Title, string Result, IReadOnlyList<string> Signals);

/// <summary>What one rule would do in one library.</summary>
public sealed record RulePreview(int Index, string Name, int Count, IReadOnlyList<HistogramBar> Histogram, IReadOnlyList<PreviewSample> Sample);

/// <summary>The preview of one library: its unrated tracks, per rule, plus those no rule takes.</summary>
public sealed record LibraryPreview(string Library, int Unrated, int Unmatched, IReadOnlyList<RulePreview> Rules, long ElapsedMs);

/// <summary>The whole preview.</summary>
public sealed record RulesPreviewResult(IReadOnlyList<LibraryPreview> Libraries, long ElapsedMs);

/// <summary>
/// Shows what rules would do to the unrated tracks of the selected libraries without writing anything: one streamed
/// pass per library (plus the album listing and the rated tracks when the rules need them), counts and a histogram per
/// rule, and the first <see cref="SampleSize"/> tracks each rule takes with the signals that matched.
/// </summary>
public sealed class RulesPreview(IPlexClient plex, RuleEngine engine, RatingJob job)
{
    /// <summary>Sample tracks per rule and library.</summary>
    public const int SampleSize = 20;

    /// <summary>Previews <paramref name="rules"/> with the style and libraries of <paramref name="settings"/>.</summary>
    public async Task<RulesPreviewResult> PreviewAsync(StarSyncSettings settings, IReadOnlyList<RatingRule> rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rules);
        var started = Stopwatch.GetTimestamp();
        var result = new List<LibraryPreview>();
        foreach (var library in await job.SelectedLibrariesAsync(settings, cancellationToken))
        {
            result.Add(await LibraryAsync(settings.RatingStyle, rules, library, cancellationToken));
        }

        return new RulesPreviewResult(result, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task<LibraryPreview> LibraryAsync(RatingStyle style, IReadOnlyList<RatingRule> rules, PlexLibrary library, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var prepared = await engine.PrepareAsync(rules, style, library, cancellationToken);
        var counts = new int[rules.Count];
        var histograms = new Dictionary<double, int>?[rules.Count];
        var leftUnrated = new int[rules.Count];
        var samples = new List<PreviewSample>[rules.Count];
        var unrated = 0;
        var unmatched = 0;
        await foreach (var track in plex.GetTracksAsync(library.Key, new TrackQuery(TrackFilter.Unrated), cancellationToken))
        {
            unrated++;
            var match = prepared.Evaluate(track);
            if (!match.Matched)
            {
                unmatched++;
                continue;
            }

            var i = match.RuleIndex;
            counts[i]++;
            if (match.Value is { } value)
            {
                var histogram = histograms[i] ??= [];
                histogram[value] = histogram.GetValueOrDefault(value) + 1;
            }
            else
            {
                leftUnrated[i]++;
            }

            var sample = samples[i] ??= [];
            if (sample.Count < SampleSize)
            {
                sample.Add(new PreviewSample(track.RatingKey, track.ArtistTitle, track.AlbumTitle, track.Title,
                    RatingScale.Describe(match.Value), prepared.Explain(i, track)));
            }
        }

        var perRule = new List<RulePreview>(rules.Count);
        for (var i = 0; i < rules.Count; i++)
        {
            var bars = (histograms[i] ?? []).OrderBy(b => b.Key).Select(b => new HistogramBar(RatingScale.Describe(b.Key), b.Key, b.Value)).ToList();
            if (leftUnrated[i] > 0)
            {
                bars.Add(new HistogramBar("unrated", null, leftUnrated[i]));
            }

            perRule.Add(new RulePreview(i, rules[i].Name, counts[i], bars, samples[i] ?? []));
        }

        return new LibraryPreview(library.Title, unrated, unmatched, perRule, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>A one-line summary of a rule for lists (CLI, logs).</summary>
    public static string Describe(RatingRule rule, RatingStyle style)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var scope = rule.Libraries.Count == 0 ? "all libraries" : string.Join(", ", rule.Libraries);
        var when = RuleJson.Write([rule])[0]!["when"]!.ToJsonString();
        var then = rule.Then.Kind switch
        {
            OutcomeKind.Fixed => string.Create(CultureInfo.InvariantCulture, $"rate {rule.Then.Value} ({style.ToName()})"),
            OutcomeKind.Inherit => string.Create(CultureInfo.InvariantCulture, $"inherit (K={rule.Then.MinRated}, prior weight {rule.Then.PriorWeight})"),
            _ => "leave unrated",
        };
        return $"{rule.Name} [{scope}] when {when} -> {then}";
    }
}
