using StarSync.Plex;

namespace StarSync.Rules;

/// <summary>
/// What the rules read of one track: its listening signals, dates, length and the album and album artist it belongs
/// to. Built from a <see cref="PlexTrack"/> in a job, or from a compact cached record (<see cref="SignalSnapshot"/>)
/// between previews; a struct, so evaluating a cached track allocates nothing.
/// </summary>
/// <param name="ViewCount">Plays (viewCount).</param>
/// <param name="SkipCount">Skips (skipCount).</param>
/// <param name="LastViewedAt">Epoch seconds of the last play, null when never played.</param>
/// <param name="AddedAt">Epoch seconds the track was added.</param>
/// <param name="DurationMs">Length in ms, null when unknown.</param>
/// <param name="AlbumKey">Album ratingKey (parentRatingKey).</param>
/// <param name="ArtistKey">Album artist ratingKey (grandparentRatingKey).</param>
/// <param name="AlbumTitle">Album title (parentTitle).</param>
/// <param name="ArtistTitle">Album artist name (grandparentTitle).</param>
public readonly record struct TrackInput(
    int ViewCount,
    int SkipCount,
    long? LastViewedAt,
    long AddedAt,
    long? DurationMs,
    string? AlbumKey,
    string? ArtistKey,
    string? AlbumTitle,
    string? ArtistTitle)
{
    /// <summary>The rules' view of a track as Plex listed it.</summary>
    public static TrackInput From(PlexTrack track)
    {
        ArgumentNullException.ThrowIfNull(track);
        return new TrackInput(track.ViewCount, track.SkipCount, track.LastViewedAt, track.AddedAt, track.DurationMs,
            track.AlbumKey, track.ArtistKey, track.AlbumTitle, track.ArtistTitle);
    }
}
