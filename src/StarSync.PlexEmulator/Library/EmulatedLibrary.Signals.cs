namespace StarSync.PlexEmulator;

/// <summary>Listening signals of a track as the owner's account sees them (plex-api.md §5).</summary>
/// <param name="ViewCount">Plays (Plex omits <c>viewCount</c> when 0).</param>
/// <param name="SkipCount">Skips (Plex omits <c>skipCount</c> when 0).</param>
/// <param name="LastViewedAt">Last play, null when never played.</param>
/// <param name="DurationMs">Length in milliseconds.</param>
/// <param name="AddedAt">When the track was added.</param>
public sealed record TrackSignals(int ViewCount, int SkipCount, DateTimeOffset? LastViewedAt, int DurationMs, DateTimeOffset AddedAt);

/// <summary>The tag children of an album (<c>Genre</c>, <c>Mood</c>, <c>Style</c>, <c>Format</c>, <c>Subformat</c>).</summary>
public sealed record AlbumTags(
    IReadOnlyList<string> Genres,
    IReadOnlyList<string> Moods,
    IReadOnlyList<string> Styles,
    IReadOnlyList<string> Formats,
    IReadOnlyList<string> Subformats);

/// <summary>
/// Derived listening signals and album tags: computed from (seed, ratingKey) when served, so a million tracks cost no
/// extra memory (the library stays struct-of-arrays) and the same seed always gives the same data.
/// </summary>
public sealed partial class EmulatedLibrary
{
    private static readonly string[] s_genres =
        ["Rock", "Pop", "Jazz", "Electronic", "Folk", "Hip-Hop", "Classical", "Metal", "Soul", "Country", "Blues", "Ambient"];

    // Two styles per genre, in s_genres order: a style always belongs to its album's genre.
    private static readonly string[] s_styles =
    [
        "Indie Rock", "Alternative Rock", "Synth-Pop", "Dream Pop", "Bebop", "Cool Jazz", "House", "Techno",
        "Singer/Songwriter", "Indie Folk", "Boom Bap", "Trip Hop", "Baroque", "Romantic", "Heavy Metal", "Doom Metal",
        "Neo-Soul", "Funk", "Americana", "Honky Tonk", "Delta Blues", "Chicago Blues", "Dark Ambient", "Drone",
    ];

    private static readonly string[] s_moods =
        ["Energetic", "Melancholy", "Mellow", "Aggressive", "Romantic", "Reflective", "Playful", "Brooding", "Uplifting", "Rowdy"];

    /// <summary>Salt of the "is this album a compilation" hash (also read by <see cref="Names"/> for its title).</summary>
    internal const int CompilationSalt = 12;

    /// <summary>Skips: about one track in six was skipped, tracks played little more often than favourites.</summary>
    internal int SkipCount(int key)
    {
        var h = Names.Hash(Seed, key, 13);
        if (h % 6 != 0)
        {
            return 0;
        }

        var skips = (int)((h >> 8) % 12) + 1;
        // A track played many times is rarely skipped many times.
        return ViewCount(key) > 20 ? Math.Max(1, skips / 4) : skips;
    }

    /// <summary>A compilation: about one non-live album in twenty.</summary>
    internal bool IsCompilation(int albumIndex) => !_aLive[albumIndex] && Names.Hash(Seed, _aKey[albumIndex], CompilationSalt) % 20 == 0;

    internal bool IsLiveAlbum(int albumIndex) => _aLive[albumIndex];

    /// <summary>
    /// Whether the metadata agent supplied the album's subformat. It does not always: about a third of the live and
    /// compilation albums carry none, so a client needs its title heuristic for them.
    /// </summary>
    internal bool AgentSuppliedSubformat(int albumIndex) => Names.Hash(Seed, _aKey[albumIndex], 14) % 3 != 0;

    /// <summary>Writes nothing to memory: the tags are derived from the album's artist (genre) and the album itself.</summary>
    internal AlbumTags TagsOf(int albumIndex)
    {
        var artistKey = _rKey[_aArtist[albumIndex]];
        var albumKey = _aKey[albumIndex];
        var g = (int)(Names.Hash(Seed, artistKey, 15) % (ulong)s_genres.Length);
        var h = Names.Hash(Seed, albumKey, 16);
        var genres = h % 4 == 0 ? new[] { s_genres[g], s_genres[(g + 1 + (int)((h >> 4) % 11)) % s_genres.Length] } : [s_genres[g]];
        var styles = (h >> 8) % 3 == 0 ? new[] { s_styles[2 * g], s_styles[(2 * g) + 1] } : [s_styles[(2 * g) + (int)((h >> 10) % 2)]];
        var moodCount = (int)((h >> 12) % 4); // 0..3 moods; some albums have none
        var moods = new string[moodCount];
        for (var i = 0; i < moodCount; i++)
        {
            moods[i] = s_moods[(int)(((h >> 16) + (ulong)(i * 3)) % (ulong)s_moods.Length)];
        }

        string[] subformats = AgentSuppliedSubformat(albumIndex) switch
        {
            true when _aLive[albumIndex] => ["Live"],
            true when IsCompilation(albumIndex) => ["Compilation"],
            _ => [],
        };
        return new AlbumTags(genres, moods.Distinct(StringComparer.Ordinal).ToArray(), styles, ["Album"], subformats);
    }

    // ---- Public lookups for tests ----

    /// <summary>The listening signals of a track.</summary>
    public TrackSignals GetTrackSignals(string ratingKey)
    {
        var key = RequireKey(ratingKey);
        if (_kind[key] != KindTrack)
        {
            throw new ArgumentException($"{ratingKey} is not a track.", nameof(ratingKey));
        }

        var t = _itemIndex[key];
        var added = _tAddedAt[t];
        var last = LastViewedAt(key, added);
        return new TrackSignals(
            ViewCount(key),
            SkipCount(key),
            last == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(last),
            _tDuration[t],
            DateTimeOffset.FromUnixTimeSeconds(added));
    }

    /// <summary>The tags of an album, as its listing shows them.</summary>
    public AlbumTags GetAlbumTags(string albumKey)
    {
        var key = RequireKey(albumKey);
        if (_kind[key] != KindAlbum)
        {
            throw new ArgumentException($"{albumKey} is not an album.", nameof(albumKey));
        }

        return TagsOf(_itemIndex[key]);
    }

    /// <summary>The album of a track (its parentRatingKey).</summary>
    public string GetAlbumOf(string trackKey) => GetParentKey(trackKey) ?? throw new ArgumentException($"{trackKey} is not a track.", nameof(trackKey));

    /// <summary>Whether the album is live / a compilation, whatever its tags say (ground truth for heuristics).</summary>
    public (bool Live, bool Compilation) GetAlbumKind(string albumKey)
    {
        var key = RequireKey(albumKey);
        var a = _itemIndex[key];
        return (_aLive[a], IsCompilation(a));
    }
}
