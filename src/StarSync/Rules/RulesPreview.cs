using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
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
/// Shows what rules would do to the unrated tracks of the selected libraries without writing anything. Per library:
/// one streamed pass over the unrated tracks with a few pages in flight (<see cref="PrefetchedListing"/>), while the
/// album listing and the rated tracks (only when the rules need them) are read at the same time; libraries are
/// previewed concurrently. Only counts, a histogram per rule and the first <see cref="SampleSize"/> tracks each rule
/// takes (with the signals that matched) are kept, so memory does not grow with the library.
/// </summary>
public sealed class RulesPreview(IPlexClient plex, RuleEngine engine, RatingJob job, IOptionsMonitor<PlexOptions> plexOptions)
{
    /// <summary>Sample tracks per rule and library.</summary>
    public const int SampleSize = 20;

    /// <summary>Pages of the unrated listing asked for ahead of the one being read.</summary>
    public const int PagesInFlight = 3;

    /// <summary>Previews <paramref name="rules"/> with the style and libraries of <paramref name="settings"/>.</summary>
    public async Task<RulesPreviewResult> PreviewAsync(StarSyncSettings settings, IReadOnlyList<RatingRule> rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rules);
        var started = Stopwatch.GetTimestamp();
        var libraries = await job.SelectedLibrariesAsync(settings, cancellationToken);
        var result = await Task.WhenAll(libraries.Select(library => LibraryAsync(settings.RatingStyle, rules, library, cancellationToken)));
        return new RulesPreviewResult(result, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task<LibraryPreview> LibraryAsync(RatingStyle style, IReadOnlyList<RatingRule> rules, PlexLibrary library, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // The rules' inputs (albums, hand ratings) are read while the first unrated pages are already on their way.
        var preparing = engine.PrepareAsync(rules, style, library, cancellationToken);
        var tally = new Tally(rules.Count);
        var pageSize = Math.Clamp(plexOptions.CurrentValue.PageSize, 1, PlexQueries.MaxPageSize);
        LibraryRules? prepared = null;
        try
        {
            await foreach (var page in PrefetchedListing.PagesAsync(plex, library.Key, new TrackQuery(TrackFilter.Unrated), pageSize, PagesInFlight, cancellationToken))
            {
                prepared ??= await preparing;
                foreach (var track in page)
                {
                    tally.Add(prepared, track);
                }
            }

            prepared ??= await preparing;
        }
        finally
        {
            // A failed listing must not leave the rules' own reads running unobserved.
            if (prepared is null)
            {
                await Task.WhenAny(preparing);
                _ = preparing.Exception;
            }
        }

        return tally.ToPreview(library.Title, rules, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    // What one library's pass keeps: counts, histogram values and samples; nothing per track.
    private sealed class Tally(int ruleCount)
    {
        private readonly int[] _counts = new int[ruleCount];
        private readonly Dictionary<double, int>?[] _histograms = new Dictionary<double, int>?[ruleCount];
        private readonly int[] _leftUnrated = new int[ruleCount];
        private readonly List<PreviewSample>?[] _samples = new List<PreviewSample>?[ruleCount];
        private int _unrated;
        private int _unmatched;

        public void Add(LibraryRules rules, PlexTrack track)
        {
            _unrated++;
            var match = rules.Evaluate(track);
            if (!match.Matched)
            {
                _unmatched++;
                return;
            }

            var i = match.RuleIndex;
            _counts[i]++;
            if (match.Value is { } value)
            {
                var histogram = _histograms[i] ??= [];
                histogram[value] = histogram.GetValueOrDefault(value) + 1;
            }
            else
            {
                _leftUnrated[i]++;
            }

            var sample = _samples[i] ??= [];
            if (sample.Count < SampleSize)
            {
                sample.Add(new PreviewSample(track.RatingKey, track.ArtistTitle, track.AlbumTitle, track.Title,
                    RatingScale.Describe(match.Value), rules.Explain(i, track)));
            }
        }

        public LibraryPreview ToPreview(string library, IReadOnlyList<RatingRule> rules, long elapsedMs)
        {
            var perRule = new List<RulePreview>(rules.Count);
            for (var i = 0; i < rules.Count; i++)
            {
                var bars = (_histograms[i] ?? []).OrderBy(b => b.Key).Select(b => new HistogramBar(RatingScale.Describe(b.Key), b.Key, b.Value)).ToList();
                if (_leftUnrated[i] > 0)
                {
                    bars.Add(new HistogramBar("unrated", null, _leftUnrated[i]));
                }

                perRule.Add(new RulePreview(i, rules[i].Name, _counts[i], bars, (IReadOnlyList<PreviewSample>?)_samples[i] ?? []));
            }

            return new LibraryPreview(library, _unrated, _unmatched, perRule, elapsedMs);
        }
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
