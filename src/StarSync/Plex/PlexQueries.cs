using System.Globalization;

namespace StarSync.Plex;

/// <summary>Builds PMS paths and query strings. The token never goes here: it travels only as a header.</summary>
internal static class PlexQueries
{
    /// <summary>The largest page StarSync asks for: PMS logs a warning above 1000 and says it "will return 400 in the future" (plex-api.md §4).</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Keys per <c>/library/metadata/a,b,c</c> request: 100 numeric keys make a path of about 1 KB, far below the 8 KB many proxies allow.</summary>
    public const int KeysPerBatch = 100;

    /// <summary>Plex's type number for tracks (artist=8, album=9, track=10).</summary>
    public const int TrackType = 10;

    public const string LibraryIdentifier = "com.plexapp.plugins.library";

    /// <summary><c>/library/sections/{id}/all?type=10[&amp;sort=..][&amp;userRating..]</c>.</summary>
    public static string TrackListing(string sectionKey, TrackQuery query)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionKey);
        ArgumentNullException.ThrowIfNull(query);

        var sort = query.Sort switch
        {
            TrackSort.RatingKey => "id",
            // ratingKey breaks ties between tracks added in the same second, so pages do not overlap or skip.
            TrackSort.AddedAtDesc => "addedAt:desc,id",
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Sort, "Unknown sort."),
        };

        var filter = query.Filter switch
        {
            TrackFilter.All => "",
            // Not in Plex's documentation, but what Kometa and Plex Web's smart playlists send (plex-api.md §6).
            TrackFilter.Unrated => "&userRating=-1",
            TrackFilter.Rated => "&userRating!=-1",
            TrackFilter.RatedOtherThan => "&userRating!=" + FormatRating(ValidRating(query.RatingNot
                ?? throw new ArgumentException("RatedOtherThan needs TrackQuery.RatingNot.", nameof(query)))),
            TrackFilter.RatedExactly => "&userRating=" + FormatRating(ValidRating(query.RatingNot
                ?? throw new ArgumentException("RatedExactly needs TrackQuery.RatingNot.", nameof(query)))),
            _ => throw new ArgumentOutOfRangeException(nameof(query), query.Filter, "Unknown filter."),
        };

        return $"/library/sections/{Uri.EscapeDataString(sectionKey)}/all?type={TrackType}&sort={sort}{filter}";
    }

    /// <summary>Plex's type number for albums.</summary>
    public const int AlbumType = 9;

    /// <summary><c>/library/sections/{id}/all?type=9&amp;sort=id</c>: every album of a section with its tag children (plex-api.md §5).</summary>
    public static string AlbumListing(string sectionKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionKey);
        return $"/library/sections/{Uri.EscapeDataString(sectionKey)}/all?type={AlbumType}&sort=id";
    }

    public static string Metadata(string ratingKey) => "/library/metadata/" + EscapeKey(ratingKey);

    public static string Children(string ratingKey) => Metadata(ratingKey) + "/children";

    public static string AllLeaves(string ratingKey) => Metadata(ratingKey) + "/allLeaves";

    /// <summary><c>/library/metadata/a,b,c</c>; each key is escaped, so a comma inside a key cannot split it.</summary>
    public static string MetadataList(IEnumerable<string> ratingKeys) =>
        "/library/metadata/" + string.Join(',', ratingKeys.Select(EscapeKey));

    /// <summary><c>PUT /:/rate?key=..&amp;identifier=com.plexapp.plugins.library&amp;rating=..</c>; -1 clears.</summary>
    public static string Rate(string ratingKey, double rating) =>
        $"/:/rate?key={EscapeKey(ratingKey)}&identifier={LibraryIdentifier}&rating={FormatRating(rating)}";

    /// <summary>
    /// <c>/library/sections/{id}/all?type=10&amp;id=a,b&amp;userRating.value=X</c>, as Plex Web sends it (plex-api.md §7): no
    /// <c>userRating.locked</c> when setting. Clearing sends an empty value with <c>userRating.locked=0</c>, as python-plexapi does.
    /// </summary>
    public static string BulkRate(string sectionKey, IEnumerable<string> ratingKeys, double? rating)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionKey);
        var value = rating is { } r ? FormatRating(ValidRating(r)) : "&userRating.locked=0";
        var ids = string.Join(',', ratingKeys.Select(EscapeKey));
        return $"/library/sections/{Uri.EscapeDataString(sectionKey)}/all?type={TrackType}&id={ids}&userRating.value={value}";
    }

    /// <summary>Shortest round-trip form with a '.' decimal point whatever the culture: 8, 7.5, -1.</summary>
    public static string FormatRating(double rating) => rating.ToString("R", CultureInfo.InvariantCulture);

    private static double ValidRating(double rating) =>
        double.IsFinite(rating) && rating is >= 0 and <= 10
            ? rating
            : throw new ArgumentOutOfRangeException(nameof(rating), rating, "A Plex rating is 0..10 (stars x 2).");

    /// <summary>What one id adds to <see cref="BulkRate"/>'s id list (without the comma before it).</summary>
    public static int EscapedIdLength(string ratingKey) => EscapeKey(ratingKey).Length;

    private static string EscapeKey(string ratingKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ratingKey);
        return Uri.EscapeDataString(ratingKey.Trim());
    }
}
