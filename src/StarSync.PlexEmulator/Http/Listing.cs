using System.Globalization;

namespace StarSync.PlexEmulator;

/// <summary>A parsed filter expression over userRating/id/title, with PMS's push/or/pop grouping.</summary>
internal abstract class FilterNode
{
    public abstract bool Match(Listing listing, byte kind, int index);
}

internal sealed class FilterAnd(List<FilterNode> terms) : FilterNode
{
    public List<FilterNode> Terms { get; } = terms;

    public override bool Match(Listing listing, byte kind, int index)
    {
        foreach (var t in Terms)
        {
            if (!t.Match(listing, kind, index))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class FilterOr(List<FilterNode> terms) : FilterNode
{
    public override bool Match(Listing listing, byte kind, int index)
    {
        foreach (var t in terms)
        {
            if (t.Match(listing, kind, index))
            {
                return true;
            }
        }

        return false;
    }
}

internal enum FilterOp
{
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
}

internal enum FilterField
{
    UserRating,
    Id,
    Title,
}

internal sealed class FilterClause(byte scope, FilterField field, FilterOp op, string[] rawValues, float[] values) : FilterNode
{
    public byte Scope { get; } = scope;

    public override bool Match(Listing listing, byte kind, int index)
    {
        var lib = listing.Library;
        if (Scope == kind)
        {
            return MatchOwn(listing, kind, index);
        }

        if (Scope < kind)
        {
            // A parent's field: a track matches album.userRating through its album.
            return kind == EmulatedLibrary.KindTrack
                ? Match(listing, EmulatedLibrary.KindAlbum, lib.TrackAlbum(index))
                : Match(listing, EmulatedLibrary.KindArtist, lib.AlbumArtist(index));
        }

        // A child's field: an artist or album matches track.userRating when any of its tracks does.
        if (kind == EmulatedLibrary.KindAlbum)
        {
            var first = lib.AlbumFirstTrack(index);
            var end = first + lib.AlbumTrackCount(index);
            for (var t = first; t < end; t++)
            {
                if (Match(listing, EmulatedLibrary.KindTrack, t))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var a in lib.ArtistAlbums(index))
        {
            if (Match(listing, EmulatedLibrary.KindAlbum, a))
            {
                return true;
            }
        }

        return false;
    }

    private bool MatchOwn(Listing listing, byte kind, int index)
    {
        var key = listing.KeyOf(kind, index);
        return field switch
        {
            FilterField.UserRating => CompareRating(listing.Library.RatingOf(key, listing.User)),
            FilterField.Id => CompareId(key),
            _ => CompareTitle(listing.Library.Title(key)),
        };
    }

    /// <summary>
    /// PMS semantics: -1 stands for "unrated" with = and !=; every other comparison behaves like SQL on a NULL
    /// column, so it never matches an unrated item; 0 is a real rating.
    /// </summary>
    private bool CompareRating(float r)
    {
        var unrated = float.IsNaN(r);
        if (op == FilterOp.NotEqual)
        {
            // "is not 1, 2" means neither; and like SQL it drops unrated items unless the value is -1.
            foreach (var v in values)
            {
                if (v == -1 ? unrated : unrated || r == v)
                {
                    return false;
                }
            }

            return true;
        }

        foreach (var v in values)
        {
            var hit = op switch
            {
                FilterOp.Equal => v == -1 ? unrated : !unrated && r == v,
                FilterOp.Greater => !unrated && r > v,
                FilterOp.Less => !unrated && r < v,
                FilterOp.GreaterOrEqual => !unrated && r >= v,
                _ => !unrated && r <= v,
            };
            if (hit)
            {
                return true;
            }
        }

        return false;
    }

    private bool CompareId(int key)
    {
        var any = false;
        foreach (var v in values)
        {
            any |= v == key;
        }

        return op == FilterOp.NotEqual ? !any : any;
    }

    /// <summary>PMS string "=" is "contains", "!=" is "does not contain".</summary>
    private bool CompareTitle(string title)
    {
        var any = false;
        foreach (var v in rawValues)
        {
            any |= title.Contains(v, StringComparison.OrdinalIgnoreCase);
        }

        return op == FilterOp.NotEqual ? !any : any;
    }
}

internal readonly record struct SortKey(byte Scope, string Field, bool Descending, bool NullsLast);

/// <summary>One listing request: which items, filtered and sorted how, and which page.</summary>
internal sealed class Listing
{
    public Listing(EmulatedLibrary library, EmulatedLibrary.UserState? user)
    {
        Library = library;
        User = user;
    }

    public EmulatedLibrary Library { get; }

    public EmulatedLibrary.UserState? User { get; }

    public FilterNode? Filter { get; set; }

    public List<SortKey> Sort { get; } = [];

    public string SortText { get; set; } = "";

    public int KeyOf(byte kind, int index) => kind switch
    {
        EmulatedLibrary.KindTrack => Library.TrackKey(index),
        EmulatedLibrary.KindAlbum => Library.AlbumKey(index),
        _ => Library.ArtistKey(index),
    };

    /// <summary>Reads filter and sort parameters; returns false on a malformed value (PMS answers 400).</summary>
    public bool TryParse(PlexQuery query, byte kind)
    {
        var stack = new Stack<List<List<FilterNode>>>();
        var groups = new List<List<FilterNode>> { new() };
        foreach (var (rawKey, value) in query.Pairs)
        {
            switch (rawKey)
            {
                case "push":
                    stack.Push(groups);
                    groups = [[]];
                    continue;
                case "pop":
                    if (stack.Count == 0)
                    {
                        return false;
                    }

                    var inner = Combine(groups);
                    groups = stack.Pop();
                    if (inner is not null)
                    {
                        groups[^1].Add(inner);
                    }

                    continue;
                case "or":
                    groups.Add([]);
                    continue;
                case "and":
                    continue;
                case "sort":
                    if (!TryParseSort(value, kind))
                    {
                        return false;
                    }

                    continue;
            }

            var (key, op, text) = SplitOperator(rawKey, value);
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            var scope = kind;
            if (dot > 0)
            {
                var s = ScopeOf(key[..dot]);
                if (s == EmulatedLibrary.KindNone)
                {
                    continue;
                }

                scope = s;
                key = key[(dot + 1)..];
            }

            FilterField field;
            switch (key)
            {
                case "userRating":
                    field = FilterField.UserRating;
                    break;
                case "id":
                    field = FilterField.Id;
                    break;
                case "title":
                    field = FilterField.Title;
                    break;
                default:
                    // includeGuids, includeMeta, excludeFields, X-Plex-* and fields we do not model.
                    continue;
            }

            var raw = text.Split(',', StringSplitOptions.RemoveEmptyEntries);
            var numbers = new float[raw.Length];
            if (field != FilterField.Title)
            {
                for (var i = 0; i < raw.Length; i++)
                {
                    if (!float.TryParse(raw[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
                    {
                        return false;
                    }
                }
            }

            if (raw.Length == 0)
            {
                return false;
            }

            groups[^1].Add(new FilterClause(scope, field, op, raw, numbers));
        }

        if (stack.Count != 0)
        {
            return false;
        }

        Filter = Combine(groups);
        return true;
    }

    private static FilterNode? Combine(List<List<FilterNode>> groups)
    {
        var ors = new List<FilterNode>();
        foreach (var g in groups)
        {
            if (g.Count > 0)
            {
                ors.Add(g.Count == 1 ? g[0] : new FilterAnd(g));
            }
        }

        return ors.Count switch
        {
            0 => null,
            1 => ors[0],
            _ => new FilterOr(ors),
        };
    }

    /// <summary>Operator from the key suffix (and a leading "=" in the value for "==").</summary>
    private static (string Key, FilterOp Op, string Value) SplitOperator(string key, string value)
    {
        if (key.EndsWith(">>", StringComparison.Ordinal))
        {
            return (key[..^2], FilterOp.Greater, value);
        }

        if (key.EndsWith("<<", StringComparison.Ordinal))
        {
            return (key[..^2], FilterOp.Less, value);
        }

        if (key.EndsWith('!'))
        {
            return (key[..^1], FilterOp.NotEqual, value);
        }

        if (key.EndsWith('>'))
        {
            return (key[..^1], FilterOp.GreaterOrEqual, value);
        }

        if (key.EndsWith('<'))
        {
            return (key[..^1], FilterOp.LessOrEqual, value);
        }

        return (key, FilterOp.Equal, value.StartsWith('=') ? value[1..] : value);
    }

    internal static byte ScopeOf(string name) => name switch
    {
        "artist" => EmulatedLibrary.KindArtist,
        "album" => EmulatedLibrary.KindAlbum,
        "track" => EmulatedLibrary.KindTrack,
        _ => EmulatedLibrary.KindNone,
    };

    internal static readonly HashSet<string> SortFields =
    [
        "addedAt", "updatedAt", "lastViewedAt", "viewCount", "lastRatedAt", "userRating", "id", "index", "titleSort",
        "title", "duration", "year", "originallyAvailableAt", "random", "ratingCount", "absoluteIndex",
    ];

    private bool TryParseSort(string value, byte kind)
    {
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? part : part[..colon];
            var dir = colon < 0 ? "" : part[(colon + 1)..];
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            var scope = kind;
            if (dot > 0)
            {
                scope = ScopeOf(name[..dot]);
                if (scope == EmulatedLibrary.KindNone)
                {
                    return false;
                }

                // A child's field (albums by track.addedAt) is read as the item's own field.
                scope = Math.Min(scope, kind);
                name = name[(dot + 1)..];
            }

            if (!SortFields.Contains(name) || dir is not ("" or "asc" or "desc" or "nullsLast"))
            {
                return false;
            }

            Sort.Add(new SortKey(scope, name, dir == "desc", dir == "nullsLast"));
        }

        SortText = string.Join(",", Sort.Select(s => $"{s.Scope}.{s.Field}:{(s.Descending ? "d" : "a")}{(s.NullsLast ? "n" : "")}"));
        return true;
    }

    /// <summary>The value an item sorts by; NaN stands for NULL (PMS/SQLite: first ascending, last descending).</summary>
    public double SortValue(SortKey sort, byte kind, int index, ulong randomSalt, SortCache cache)
    {
        var lib = Library;
        while (sort.Scope < kind)
        {
            (kind, index) = kind == EmulatedLibrary.KindTrack
                ? (EmulatedLibrary.KindAlbum, lib.TrackAlbum(index))
                : (EmulatedLibrary.KindArtist, lib.AlbumArtist(index));
        }

        var key = KeyOf(kind, index);
        var added = kind switch
        {
            EmulatedLibrary.KindTrack => lib.TrackAddedAt(index),
            EmulatedLibrary.KindAlbum => lib.AlbumAddedAt(index),
            _ => lib.ArtistAddedAt(index),
        };
        switch (sort.Field)
        {
            case "addedAt":
                return added;
            case "updatedAt":
                return lib.UpdatedAt(key, added);
            case "lastViewedAt":
                var viewed = lib.LastViewedAt(key, added);
                return viewed == 0 ? double.NaN : viewed;
            case "viewCount":
                return lib.ViewCount(key);
            case "lastRatedAt":
                var rated = lib.RatedAtOf(key, User);
                return rated == 0 || float.IsNaN(lib.RatingOf(key, User)) ? double.NaN : rated;
            case "userRating":
                return lib.RatingOf(key, User);
            case "id":
                return key;
            case "ratingCount":
                return (double)(Names.Hash(lib.Seed, key, 11) % 1_000_000);
            case "random":
                return (double)(Names.Hash((int)randomSalt, key, (int)(randomSalt >> 32)) >> 11);
            case "title":
            case "titleSort":
                return cache.TitleRank(lib, kind, index);
            case "duration":
                return kind == EmulatedLibrary.KindTrack ? lib.TrackDuration(index) : double.NaN;
            case "year":
            case "originallyAvailableAt":
                return kind switch
                {
                    EmulatedLibrary.KindTrack => lib.AlbumYear(lib.TrackAlbum(index)),
                    EmulatedLibrary.KindAlbum => lib.AlbumYear(index),
                    _ => double.NaN,
                };
            default: // index, absoluteIndex
                return kind == EmulatedLibrary.KindTrack ? (lib.TrackDisc(index) * 1000) + lib.TrackIndex(index) : 1;
        }
    }

    public bool SortUsesRatings => Sort.Exists(s => s.Field is "userRating" or "lastRatedAt");

    public bool SortIsRandom => Sort.Exists(s => s.Field == "random");
}
