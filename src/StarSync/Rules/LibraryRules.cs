using System.Globalization;
using StarSync.Plex;
using StarSync.Rating;

namespace StarSync.Rules;

/// <summary>Which rule took a track and what it gives. <see cref="Value"/> null with a rule = leave unrated.</summary>
/// <param name="RuleIndex">Index in the rule set, -1 when no rule matched.</param>
/// <param name="RuleName">The rule's name, null when none matched.</param>
/// <param name="Value">Plex 0..10 value to give, null to leave the track unrated.</param>
public readonly record struct RuleMatch(int RuleIndex, string? RuleName, double? Value)
{
    /// <summary>No rule matched: the track stays as it is.</summary>
    public static RuleMatch None => new(-1, null, null);

    /// <summary>A rule took the track.</summary>
    public bool Matched => RuleIndex >= 0;
}

/// <summary>Hand ratings (not StarSync's) of a library, per album and per album artist, for the inherit outcome.</summary>
public sealed class HandRatings
{
    /// <summary>By album ratingKey.</summary>
    public Dictionary<string, RatingTally> ByAlbum { get; } = new(StringComparer.Ordinal);

    /// <summary>By album artist ratingKey.</summary>
    public Dictionary<string, RatingTally> ByArtist { get; } = new(StringComparer.Ordinal);

    private RatingTally _library;

    /// <summary>The whole library (the prior's mean).</summary>
    public RatingTally Library => _library;

    /// <summary>Counts one hand-rated track.</summary>
    public void Add(PlexTrack track, double value)
    {
        ArgumentNullException.ThrowIfNull(track);
        _library.Add(value);
        if (track.AlbumKey is { } album)
        {
            ref var a = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ByAlbum, album, out _);
            a.Add(value);
        }

        if (track.ArtistKey is { } artist)
        {
            ref var r = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ByArtist, artist, out _);
            r.Add(value);
        }
    }
}

/// <summary>
/// The rules of one library, ready to evaluate: pure (no I/O, no clock: "now" is given), so the same code decides in a
/// job, a preview and a unit test. First match wins; an inherit rule without enough hand ratings falls through.
/// </summary>
public sealed class LibraryRules
{
    private const long Day = 86_400;
    private readonly RatingRule[] _rules;
    private readonly int[] _index;
    private readonly double?[] _fixed;
    private readonly RatingStyle _style;
    private readonly long _now;
    private readonly IReadOnlyDictionary<string, AlbumFacts>? _albums;
    private readonly HandRatings? _hand;

    /// <summary>Prepares <paramref name="rules"/> for the library titled <paramref name="library"/>.</summary>
    /// <param name="rules">The whole ordered rule set.</param>
    /// <param name="style">The rating style (fixed values are in its unit; inherited ones are rounded to it).</param>
    /// <param name="library">Library title (for the rules' scope).</param>
    /// <param name="now">The moment "N days" counts back from.</param>
    /// <param name="albums">Album facts by album ratingKey; needed when a rule has album conditions.</param>
    /// <param name="hand">Hand ratings; needed when a rule inherits.</param>
    public LibraryRules(IReadOnlyList<RatingRule> rules, RatingStyle style, string library, DateTimeOffset now,
        IReadOnlyDictionary<string, AlbumFacts>? albums, HandRatings? hand)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var kept = new List<(RatingRule Rule, int Index)>();
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].AppliesTo(library))
            {
                kept.Add((rules[i], i));
            }
        }

        _rules = kept.Select(k => k.Rule).ToArray();
        _index = kept.Select(k => k.Index).ToArray();
        _fixed = _rules.Select(r => r.Then.Kind == OutcomeKind.Fixed && r.Then.Value is { } v && RatingScale.TryToPlexValue(style, v, out var plex, out _)
            ? plex : (double?)null).ToArray();
        _style = style;
        _now = now.ToUnixTimeSeconds();
        _albums = albums;
        _hand = hand;
    }

    /// <summary>The rules that apply here need the album listing.</summary>
    public static bool NeedAlbums(IEnumerable<RatingRule> rules) => rules.Any(r => r.When.NeedsAlbums);

    /// <summary>The rules that apply here need hand ratings.</summary>
    public static bool NeedHandRatings(IEnumerable<RatingRule> rules) => rules.Any(r => r.Then.Kind == OutcomeKind.Inherit);

    /// <summary>The first rule that takes <paramref name="track"/>, with its value.</summary>
    public RuleMatch Evaluate(PlexTrack track)
    {
        ArgumentNullException.ThrowIfNull(track);
        var input = TrackInput.From(track);
        return Evaluate(in input);
    }

    /// <summary>The first rule that takes the track described by <paramref name="track"/>, with its value.</summary>
    public RuleMatch Evaluate(in TrackInput track)
    {
        var facts = Facts(in track);
        for (var i = 0; i < _rules.Length; i++)
        {
            var rule = _rules[i];
            if (!Holds(rule.When, in track, facts, explain: null))
            {
                continue;
            }

            switch (rule.Then.Kind)
            {
                case OutcomeKind.Fixed:
                    return new RuleMatch(_index[i], rule.Name, _fixed[i]);
                case OutcomeKind.Unrated:
                    return new RuleMatch(_index[i], rule.Name, null);
                default:
                    if (Inherit(rule.Then, in track) is { } inherited)
                    {
                        return new RuleMatch(_index[i], rule.Name, inherited);
                    }

                    break; // too few hand ratings: fall through to the next rule
            }
        }

        return RuleMatch.None;
    }

    /// <summary>The signals that made rule <paramref name="ruleIndex"/> match (for the preview's sample), in words.</summary>
    public IReadOnlyList<string> Explain(int ruleIndex, PlexTrack track)
    {
        ArgumentNullException.ThrowIfNull(track);
        var input = TrackInput.From(track);
        return Explain(ruleIndex, in input);
    }

    /// <summary>The signals that made rule <paramref name="ruleIndex"/> match, in words.</summary>
    public IReadOnlyList<string> Explain(int ruleIndex, in TrackInput track)
    {
        var i = Array.IndexOf(_index, ruleIndex);
        var reasons = new List<string>();
        if (i < 0)
        {
            return reasons;
        }

        Holds(_rules[i].When, in track, Facts(in track), reasons);
        if (_rules[i].Then.Kind == OutcomeKind.Inherit && _hand is not null)
        {
            var album = track.AlbumKey is { } a && _hand.ByAlbum.TryGetValue(a, out var at) ? at : default;
            var artist = track.ArtistKey is { } r && _hand.ByArtist.TryGetValue(r, out var rt) ? rt : default;
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"hand ratings: album {album.Count} (mean {album.Mean / 2:0.##}★), artist {artist.Count} (mean {artist.Mean / 2:0.##}★), library mean {_hand.Library.Mean / 2:0.##}★"));
        }

        if (reasons.Count == 0)
        {
            reasons.Add("no conditions: takes every track");
        }

        return reasons;
    }

    private AlbumFacts? Facts(in TrackInput track) =>
        _albums is not null && track.AlbumKey is { } key && _albums.TryGetValue(key, out var facts) ? facts : null;

    private double? Inherit(RuleOutcome outcome, in TrackInput track)
    {
        if (_hand is null)
        {
            return null;
        }

        var mean = _hand.Library.Mean;
        double? estimate = null;
        if (track.AlbumKey is { } album && _hand.ByAlbum.TryGetValue(album, out var a))
        {
            estimate = Inheritance.Estimate(a.Sum, a.Count, mean, outcome.PriorWeight, outcome.MinRated);
        }

        if (estimate is null && track.ArtistKey is { } artist && _hand.ByArtist.TryGetValue(artist, out var r))
        {
            estimate = Inheritance.Estimate(r.Sum, r.Count, mean, outcome.PriorWeight, outcome.MinRated);
        }

        return estimate is { } e ? Inheritance.RoundToStyle(e, _style) : null;
    }

    // One walk serves matching (explain null: stop at the first failure, build no text) and explaining (collect why each holds).
    private static bool Check(bool ok, List<string>? explain, string? why)
    {
        if (ok && why is not null)
        {
            explain?.Add(why);
        }

        return ok;
    }

    // No lambdas here: a closure would be one allocation per track and rule.
    private bool Holds(RuleConditions w, in TrackInput t, AlbumFacts? facts, List<string>? explain)
    {
        var inv = CultureInfo.InvariantCulture;
        if (w.PlaysAtLeast is { } pl && !Check(t.ViewCount >= pl, explain, explain is null ? null : string.Create(inv, $"plays {t.ViewCount} ≥ {pl}")))
        {
            return false;
        }

        if (w.PlaysAtMost is { } pm && !Check(t.ViewCount <= pm, explain, explain is null ? null : string.Create(inv, $"plays {t.ViewCount} ≤ {pm}")))
        {
            return false;
        }

        if (w.SkipsAtLeast is { } sl && !Check(t.SkipCount >= sl, explain, explain is null ? null : string.Create(inv, $"skips {t.SkipCount} ≥ {sl}")))
        {
            return false;
        }

        if (w.SkipsAtMost is { } sm && !Check(t.SkipCount <= sm, explain, explain is null ? null : string.Create(inv, $"skips {t.SkipCount} ≤ {sm}")))
        {
            return false;
        }

        var played = t.LastViewedAt is not null || t.ViewCount > 0;
        if (w.NeverPlayed is { } never && !Check(never != played, explain, explain is null ? null : never ? "never played" : "played"))
        {
            return false;
        }

        if (w.LastPlayedOlderThanDays is { } older &&
            !Check(t.LastViewedAt is { } lo && lo < _now - (older * Day), explain, explain is null ? null : $"last played {DaysAgo(t.LastViewedAt)} days ago (> {older})"))
        {
            return false;
        }

        if (w.LastPlayedWithinDays is { } within &&
            !Check(t.LastViewedAt is { } lw && lw >= _now - (within * Day), explain, explain is null ? null : $"last played {DaysAgo(t.LastViewedAt)} days ago (≤ {within})"))
        {
            return false;
        }

        if (w.AddedWithinDays is { } added && !Check(t.AddedAt >= _now - (added * Day), explain, explain is null ? null : $"added {DaysAgo(t.AddedAt)} days ago (≤ {added})"))
        {
            return false;
        }

        if (w.DurationUnderSeconds is { } under &&
            !Check(t.DurationMs is { } du && du < under * 1000L, explain, explain is null ? null : $"{Length(t.DurationMs)} < {under} s"))
        {
            return false;
        }

        if (w.DurationOverSeconds is { } over &&
            !Check(t.DurationMs is { } dov && dov > over * 1000L, explain, explain is null ? null : $"{Length(t.DurationMs)} > {over} s"))
        {
            return false;
        }

        if (w.AlbumGenres is { Count: > 0 } genres && !Check(AnyOf(facts?.Genres, genres, out var g), explain, explain is null ? null : "genre " + g))
        {
            return false;
        }

        if (w.AlbumMoods is { Count: > 0 } moods && !Check(AnyOf(facts?.Moods, moods, out var m), explain, explain is null ? null : "mood " + m))
        {
            return false;
        }

        if (w.AlbumStyles is { Count: > 0 } styles && !Check(AnyOf(facts?.Styles, styles, out var s), explain, explain is null ? null : "style " + s))
        {
            return false;
        }

        // An album Plex did not list is neither live nor a compilation as far as the rules know.
        if (w.Live is { } live && !Check((facts?.Live ?? false) == live, explain, explain is null ? null : (live ? "live album" : "not live") + Source(facts)))
        {
            return false;
        }

        if (w.Compilation is { } comp && !Check((facts?.Compilation ?? false) == comp, explain, explain is null ? null : (comp ? "compilation" : "not a compilation") + Source(facts)))
        {
            return false;
        }

        if (w.ArtistContains is { } ac && !Check(t.ArtistTitle?.Contains(ac, StringComparison.OrdinalIgnoreCase) == true, explain, explain is null ? null : $"artist contains \"{ac}\""))
        {
            return false;
        }

        if (w.AlbumContains is { } alc && !Check(t.AlbumTitle?.Contains(alc, StringComparison.OrdinalIgnoreCase) == true, explain, explain is null ? null : $"album contains \"{alc}\""))
        {
            return false;
        }

        return true;
    }

    private static string Source(AlbumFacts? facts) => facts is { FromTitle: true } ? " (by title)" : facts is null ? "" : " (Subformat)";

    private static bool AnyOf(IReadOnlyList<string>? have, IReadOnlyList<string> wanted, out string? match)
    {
        match = have?.FirstOrDefault(h => wanted.Any(w => string.Equals(h, w, StringComparison.OrdinalIgnoreCase)));
        return match is not null;
    }

    private string DaysAgo(long? epoch) => epoch is { } e ? ((_now - e) / Day).ToString(CultureInfo.InvariantCulture) : "?";

    private static string Length(long? ms) => ms is { } v
        ? string.Create(CultureInfo.InvariantCulture, $"{v / 60_000}:{v / 1000 % 60:00}")
        : "unknown length";
}
