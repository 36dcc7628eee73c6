namespace StarSync.Plex;

/// <summary>What a Plex Media Server says about itself (<c>GET /</c>).</summary>
public sealed record PlexServerInfo(string FriendlyName, string Version, string MachineIdentifier);

/// <summary>A library section. Music libraries have <see cref="Type"/> <c>"artist"</c>; <see cref="Agent"/> is its metadata agent.</summary>
public sealed record PlexLibrary(string Key, string Title, string Type, string? Uuid, string? Agent = null)
{
    /// <summary>True for a music library (Plex calls its type "artist").</summary>
    public bool IsMusic => Type == "artist";

    /// <summary>True when the library has no metadata agent ("Personal Media"): Plex then ends processing at state 1.</summary>
    public bool HasNoAgent => Agent is { } agent && agent.EndsWith(".agents.none", StringComparison.Ordinal);

    /// <summary>The section's scanner ("Plex Music", "Plex Music Scanner"…), when Plex sent it.</summary>
    public string? Scanner { get; init; }

    /// <summary>The section's <c>hidden="1"</c>: the owner hid it in Plex.</summary>
    public bool Hidden { get; init; }
}

/// <summary>One track as StarSync needs it. <see cref="UserRating"/> is null when the track is unrated (0 is a real rating).</summary>
public sealed record PlexTrack(
    string RatingKey,
    string Title,
    string? AlbumTitle,
    string? ArtistTitle,
    double? UserRating,
    long AddedAt,
    string? LibrarySectionId)
{
    /// <summary>The album's ratingKey (<c>parentRatingKey</c>), null when Plex did not send it.</summary>
    public string? AlbumKey { get; init; }

    /// <summary>The album artist's ratingKey (<c>grandparentRatingKey</c>).</summary>
    public string? ArtistKey { get; init; }

    /// <summary>Plays by the token's account (absent in Plex = 0).</summary>
    public int ViewCount { get; init; }

    /// <summary>Skips by the token's account (absent in Plex = 0).</summary>
    public int SkipCount { get; init; }

    /// <summary>Epoch seconds of the last play; null when never played.</summary>
    public long? LastViewedAt { get; init; }

    /// <summary>Length in milliseconds; null when Plex did not send it.</summary>
    public long? DurationMs { get; init; }

    /// <summary>Plex shows the userRating field as locked (a bulk edit with <c>userRating.locked=1</c> does that).</summary>
    public bool UserRatingLocked { get; init; }
}

/// <summary>An album and its tags (read once per library from the album listing, plex-api.md §5). Tag lists are empty when Plex sent none.</summary>
public sealed record PlexAlbum(
    string RatingKey,
    string Title,
    string? ArtistTitle,
    IReadOnlyList<string> Genres,
    IReadOnlyList<string> Moods,
    IReadOnlyList<string> Styles,
    IReadOnlyList<string> Formats,
    IReadOnlyList<string> Subformats);

/// <summary>Which tracks a listing asks Plex for; the filtering is done by the server.</summary>
public enum TrackFilter
{
    /// <summary>Every track.</summary>
    All,

    /// <summary>Tracks without a user rating (<c>userRating=-1</c>).</summary>
    Unrated,

    /// <summary>Tracks with a user rating (<c>userRating!=-1</c>).</summary>
    Rated,

    /// <summary>Rated tracks whose rating differs from <see cref="TrackQuery.RatingNot"/> (<c>userRating!=X</c>; should never match unrated, but a server may let them through).</summary>
    RatedOtherThan,

    /// <summary>Tracks rated exactly <see cref="TrackQuery.RatingNot"/> (<c>userRating=X</c>; like SQL on NULL, never matches unrated). Counted to size the override pass.</summary>
    RatedExactly,
}

/// <summary>Listing order. Plex needs a stable order for paging; ties are broken by ratingKey.</summary>
public enum TrackSort
{
    /// <summary>By ratingKey ascending (<c>sort=id</c>): new tracks land at the end.</summary>
    RatingKey,

    /// <summary>Most recently added first (<c>sort=addedAt:desc</c>).</summary>
    AddedAtDesc,
}

/// <summary>A track listing request.</summary>
/// <param name="Filter">Server-side filter.</param>
/// <param name="Sort">Order of the results.</param>
/// <param name="Limit">At most this many tracks (null = all).</param>
/// <param name="Start">Offset of the first track (used by callers that know how many earlier results are still in the filtered set).</param>
/// <param name="RatingNot">For <see cref="TrackFilter.RatedOtherThan"/>: the 0..10 value to exclude; for <see cref="TrackFilter.RatedExactly"/>, the value to match.</param>
public sealed record TrackQuery(
    TrackFilter Filter = TrackFilter.All,
    TrackSort Sort = TrackSort.RatingKey,
    int? Limit = null,
    int Start = 0,
    double? RatingNot = null);

/// <summary>The tracks of one requested item (a track, album or artist ratingKey); empty when Plex does not know it or it holds none.</summary>
public sealed record PlexItemTracks(string RatingKey, IReadOnlyList<PlexTrack> Tracks);

/// <summary>The typed client for a Plex Media Server. Every failure surfaces as <see cref="PlexException"/>.</summary>
public interface IPlexClient
{
    /// <summary>Server name, version and id (<c>GET /</c>).</summary>
    Task<PlexServerInfo> GetServerInfoAsync(CancellationToken cancellationToken);

    /// <summary>Every library section (music and other types).</summary>
    Task<IReadOnlyList<PlexLibrary>> GetLibrariesAsync(CancellationToken cancellationToken);

    /// <summary>Streams a section's tracks page by page; never holds the whole section in memory.</summary>
    IAsyncEnumerable<PlexTrack> GetTracksAsync(string sectionKey, TrackQuery query, CancellationToken cancellationToken);

    /// <summary>Reads one page of a section's tracks and the size of the whole filtered set.</summary>
    Task<PlexPage> GetTrackPageAsync(string sectionKey, TrackQuery query, int pageSize, CancellationToken cancellationToken);

    /// <summary>Counts a section's tracks matching <paramref name="query"/> without listing them (container size 0).</summary>
    Task<int> CountTracksAsync(string sectionKey, TrackQuery query, CancellationToken cancellationToken);

    /// <summary>Expands a track, album or artist ratingKey to its tracks. An unknown key yields nothing.</summary>
    IAsyncEnumerable<PlexTrack> GetItemTracksAsync(string ratingKey, CancellationToken cancellationToken);

    /// <summary>
    /// Expands many track, album or artist ratingKeys to their tracks: the items are read with one
    /// <c>/library/metadata/a,b,c</c> request per 100 keys, tracks come straight from it, and only albums and artists
    /// cost a listing each. Every key is answered once, an unknown one with no tracks.
    /// </summary>
    IAsyncEnumerable<PlexItemTracks> GetItemsTracksAsync(IReadOnlyCollection<string> ratingKeys, CancellationToken cancellationToken);

    /// <summary>Reads the current state of the given tracks (<c>/library/metadata/a,b,c</c>, batched). Unknown keys are absent from the result.</summary>
    Task<IReadOnlyList<PlexTrack>> GetTracksByKeysAsync(IReadOnlyCollection<string> ratingKeys, CancellationToken cancellationToken);

    /// <summary>Streams a section's albums with their Genre/Mood/Style/Format/Subformat tags (one listing, paged).</summary>
    IAsyncEnumerable<PlexAlbum> GetAlbumsAsync(string sectionKey, CancellationToken cancellationToken);

    /// <summary>Sets a track's user rating (0..10).</summary>
    Task SetRatingAsync(string ratingKey, double rating, CancellationToken cancellationToken);

    /// <summary>Removes a track's user rating (<c>rating=-1</c>).</summary>
    Task ClearRatingAsync(string ratingKey, CancellationToken cancellationToken);

    /// <summary>
    /// <c>PUT /:/rate</c> (null clears with -1) tried ONCE: no retry inside the pipeline, so a caller that retries by
    /// itself after a backoff does not hold a concurrency slot through it. Failures are mapped as for <see cref="SetRatingAsync"/>.
    /// </summary>
    Task WriteRatingOnceAsync(string ratingKey, double? rating, CancellationToken cancellationToken);

    /// <summary>
    /// Sets (or with null clears) the user rating of many tracks of one section in one bulk edit,
    /// <c>PUT /library/sections/{id}/all?type=10&amp;id=a,b&amp;userRating.value=X</c> (no lock sent, as Plex Web does).
    /// Plex does not say what it did: read the tracks back (<see cref="ReadBackAsync"/>) before trusting it. Tried
    /// once (a 414/400 or a dropped connection on a long URL is the caller's cue to split the batch, not to repeat it).
    /// </summary>
    Task BulkSetRatingAsync(string sectionKey, IReadOnlyCollection<string> ratingKeys, double? rating, CancellationToken cancellationToken);

    /// <summary>The current state of the given tracks in ONE request (<c>/library/metadata/a,b,c</c>); the caller bounds the list.</summary>
    Task<IReadOnlyList<PlexTrack>> ReadBackAsync(IReadOnlyCollection<string> ratingKeys, CancellationToken cancellationToken);

    /// <summary>Length of the path and query of the bulk edit <see cref="BulkSetRatingAsync"/> would send, to keep it under a bound.</summary>
    int BulkEditUrlLength(string sectionKey, IReadOnlyCollection<string> ratingKeys, double? rating) =>
        PlexQueries.BulkRate(sectionKey, ratingKeys, rating).Length;
}

/// <summary>One page of a track listing.</summary>
public sealed record PlexPage(IReadOnlyList<PlexTrack> Tracks, int TotalSize, int Offset)
{
    /// <summary>Items the server returned for this page: advance the offset by this. It exceeds <c>Tracks.Count</c> when the client's re-check of the filter dropped a track.</summary>
    public int ServerCount { get; init; } = Tracks.Count;
}
