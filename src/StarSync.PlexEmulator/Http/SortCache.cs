namespace StarSync.PlexEmulator;

/// <summary>
/// Sorting a million tracks on every page request would make paging quadratic, so sorted orders are cached per
/// (section, type, sort) until the library changes shape (or, for rating sorts, until a rating changes).
/// Filters are applied while walking the cached order, so a filtered page costs one pass and no allocation per item.
/// </summary>
internal sealed class SortCache
{
    private const int MaxEntries = 8;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Structure, long Ratings, int[] Order)> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<byte, (long Version, int[] Rank)> _titleRanks = [];

    public int[] GetOrAdd(string cacheKey, EmulatedLibrary library, bool ratingDependent, Func<int[]> sort)
    {
        var structure = library.StructureVersion;
        var ratings = ratingDependent ? library.RatingsVersion : 0;
        lock (_gate)
        {
            if (_orders.TryGetValue(cacheKey, out var hit) && hit.Structure == structure && hit.Ratings == ratings)
            {
                return hit.Order;
            }
        }

        var order = sort();
        lock (_gate)
        {
            if (_orders.Count >= MaxEntries)
            {
                _orders.Clear();
            }

            _orders[cacheKey] = (structure, ratings, order);
        }

        return order;
    }

    /// <summary>Position of the item's titleSort among all items of its kind (case-insensitive, as PMS sorts).</summary>
    public int TitleRank(EmulatedLibrary library, byte kind, int index)
    {
        var version = library.StructureVersion;
        int[] rank;
        lock (_gate)
        {
            if (_titleRanks.TryGetValue(kind, out var hit) && hit.Version == version && index < hit.Rank.Length)
            {
                return hit.Rank[index];
            }

            rank = BuildRanks(library, kind);
            _titleRanks[kind] = (version, rank);
        }

        return index < rank.Length ? rank[index] : int.MaxValue;
    }

    private static int[] BuildRanks(EmulatedLibrary library, byte kind)
    {
        var count = 0;
        foreach (var s in library.Sections)
        {
            count += kind switch
            {
                EmulatedLibrary.KindTrack => s.Tracks.Count,
                EmulatedLibrary.KindAlbum => s.Albums.Count,
                _ => s.Artists.Count,
            };
        }

        var titles = new string[count];
        var indices = new int[count];
        for (var i = 0; i < count; i++)
        {
            var key = kind switch
            {
                EmulatedLibrary.KindTrack => library.TrackKey(i),
                EmulatedLibrary.KindAlbum => library.AlbumKey(i),
                _ => library.ArtistKey(i),
            };
            titles[i] = Names.SortTitle(library.Title(key));
            indices[i] = i;
        }

        // Ties keep index order, which is ratingKey order.
        Array.Sort(indices, (x, y) =>
        {
            var c = string.Compare(titles[x], titles[y], StringComparison.OrdinalIgnoreCase);
            return c != 0 ? c : x.CompareTo(y);
        });
        var rank = new int[count];
        for (var i = 0; i < count; i++)
        {
            rank[indices[i]] = i;
        }

        return rank;
    }
}
