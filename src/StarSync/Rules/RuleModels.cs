namespace StarSync.Rules;

/// <summary>What a matching rule does with a track.</summary>
public enum OutcomeKind
{
    /// <summary>A fixed value in the style's own unit (stars, or 0/1 for 1star).</summary>
    Fixed,

    /// <summary>The shrunk mean of the hand ratings on the same album, else the same artist (see <see cref="Inheritance"/>); falls through when too few are rated.</summary>
    Inherit,

    /// <summary>Leave the track unrated (and stop: later rules are not asked).</summary>
    Unrated,
}

/// <summary>
/// Conditions on what Plex carries about a track and its album (plex-api.md §5). Every condition that is set must hold
/// (AND); an unset one is ignored. A rule without conditions matches every track.
/// </summary>
public sealed record RuleConditions
{
    /// <summary>viewCount ≥ N.</summary>
    public int? PlaysAtLeast { get; init; }

    /// <summary>viewCount ≤ N.</summary>
    public int? PlaysAtMost { get; init; }

    /// <summary>skipCount ≥ N.</summary>
    public int? SkipsAtLeast { get; init; }

    /// <summary>skipCount ≤ N.</summary>
    public int? SkipsAtMost { get; init; }

    /// <summary>Played, but not within the last N days.</summary>
    public int? LastPlayedOlderThanDays { get; init; }

    /// <summary>Played within the last N days.</summary>
    public int? LastPlayedWithinDays { get; init; }

    /// <summary>true: never played (no lastViewedAt and no plays); false: played at least once.</summary>
    public bool? NeverPlayed { get; init; }

    /// <summary>Added to Plex within the last N days.</summary>
    public int? AddedWithinDays { get; init; }

    /// <summary>Shorter than N seconds (interludes, skits). A track of unknown length never matches.</summary>
    public int? DurationUnderSeconds { get; init; }

    /// <summary>Longer than N seconds.</summary>
    public int? DurationOverSeconds { get; init; }

    /// <summary>The album has any of these genres (case-insensitive).</summary>
    public IReadOnlyList<string>? AlbumGenres { get; init; }

    /// <summary>The album has any of these moods.</summary>
    public IReadOnlyList<string>? AlbumMoods { get; init; }

    /// <summary>The album has any of these styles.</summary>
    public IReadOnlyList<string>? AlbumStyles { get; init; }

    /// <summary>true: a live album; false: not one (Subformat, else the title heuristic of <see cref="AlbumFacts"/>).</summary>
    public bool? Live { get; init; }

    /// <summary>true: a compilation; false: not one.</summary>
    public bool? Compilation { get; init; }

    /// <summary>The album artist's name contains this (case-insensitive).</summary>
    public string? ArtistContains { get; init; }

    /// <summary>The album's title contains this (case-insensitive).</summary>
    public string? AlbumContains { get; init; }

    /// <summary>True when a condition needs the album listing (tags or live/compilation).</summary>
    public bool NeedsAlbums => AlbumGenres is { Count: > 0 } || AlbumMoods is { Count: > 0 } || AlbumStyles is { Count: > 0 } || Live is not null || Compilation is not null;
}

/// <summary>The outcome of a rule.</summary>
public sealed record RuleOutcome
{
    /// <summary>Default prior weight of <see cref="OutcomeKind.Inherit"/>: the library mean counts as this many ratings.</summary>
    public const double DefaultPriorWeight = 2;

    /// <summary>Default K of <see cref="OutcomeKind.Inherit"/>: at least this many hand ratings on the album (else the artist).</summary>
    public const int DefaultMinRated = 3;

    /// <summary>Fixed, inherit or unrated.</summary>
    public OutcomeKind Kind { get; init; }

    /// <summary>For <see cref="OutcomeKind.Fixed"/>: the value in the style's unit.</summary>
    public double? Value { get; init; }

    /// <summary>For <see cref="OutcomeKind.Inherit"/>: K, the hand ratings needed on the album (else the artist).</summary>
    public int MinRated { get; init; } = DefaultMinRated;

    /// <summary>For <see cref="OutcomeKind.Inherit"/>: how many ratings' worth the library mean weighs.</summary>
    public double PriorWeight { get; init; } = DefaultPriorWeight;
}

/// <summary>One rating rule: first match wins.</summary>
public sealed record RatingRule
{
    /// <summary>Shown in the editor, the preview, the journal and History.</summary>
    public string Name { get; init; } = "";

    /// <summary>Library names the rule applies to; empty = every selected library.</summary>
    public IReadOnlyList<string> Libraries { get; init; } = [];

    /// <summary>All must hold.</summary>
    public RuleConditions When { get; init; } = new();

    /// <summary>What a match does.</summary>
    public RuleOutcome Then { get; init; } = new();

    /// <summary>Whether the rule applies in the library titled <paramref name="library"/>.</summary>
    public bool AppliesTo(string library) => Libraries.Count == 0 || StarSync.Plex.LibraryMatcher.NameMatches(library, Libraries);
}

/// <summary>The rule names StarSync itself uses.</summary>
public static class RuleNames
{
    /// <summary>The single rule of the default rule set (today's style, target and override).</summary>
    public const string Default = "Default";
}
