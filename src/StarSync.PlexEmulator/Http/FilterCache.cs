namespace StarSync.PlexEmulator;

/// <summary>
/// The items a filtered listing matched, kept while the library does not change, so paging through a filtered listing
/// (a read-only pass such as StarSync's rules preview) scans the library once instead of once per page. A listing is
/// remembered on its second request with unchanged library versions, so a pass that rates as it pages (every page sees
/// new ratings) never pays for building a list it cannot reuse. The answers are the same with or without the cache.
/// </summary>
internal sealed class FilterCache
{
    private const int MaxEntries = 8;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Structure, long Ratings, int[]? Matched)> _entries = new(StringComparer.Ordinal);

    /// <summary>The matched items when cached for the current versions; else whether the caller should build them.</summary>
    public int[]? Get(string cacheKey, EmulatedLibrary library, out bool build, out (long Structure, long Ratings) versions)
    {
        versions = (library.StructureVersion, library.RatingsVersion);
        lock (_gate)
        {
            if (_entries.TryGetValue(cacheKey, out var hit) && hit.Structure == versions.Structure && hit.Ratings == versions.Ratings)
            {
                build = hit.Matched is null;
                return hit.Matched;
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[cacheKey] = (versions.Structure, versions.Ratings, null);
            build = false;
            return null;
        }
    }

    /// <summary>Keeps <paramref name="matched"/> for the versions read before the scan (a change during it makes the entry stale at once).</summary>
    public void Store(string cacheKey, (long Structure, long Ratings) versions, int[] matched)
    {
        lock (_gate)
        {
            _entries[cacheKey] = (versions.Structure, versions.Ratings, matched);
        }
    }
}
