using System.Collections.Concurrent;
using System.Globalization;

namespace StarSync.PlexEmulator;

/// <summary>
/// The in-memory state of the emulated server. Stored as struct-of-arrays (no object per track) so a
/// million tracks fit in a few tens of MB; titles are derived from the seed when served.
/// Mutations take one lock; readers walk the arrays without one (see <see cref="IntList"/>).
/// </summary>
public sealed partial class EmulatedLibrary
{
    internal const byte KindNone = 0;
    internal const byte KindArtist = 1;
    internal const byte KindAlbum = 2;
    internal const byte KindTrack = 3;

    /// <summary>PMS ratingKeys are plain increasing integers; start high enough not to look like section ids.</summary>
    internal const int FirstKey = 1000;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    // Play history is derived up to the moment the library was generated, so lastViewedAt (and any sort on it) stays
    // the same for the whole run instead of drifting with the clock.
    private readonly long _historyEnd;
    private readonly List<EmulatedSection> _sections = [];
    private readonly ConcurrentDictionary<string, UserState> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _customTitles = new();
    private readonly ConcurrentDictionary<int, bool> _lockedRatings = new();

    // Per ratingKey.
    private byte[] _kind;
    private int[] _itemIndex;
    private float[] _rating; // NaN = unrated
    private long[] _ratedAt; // 0 = never
    private int _nextKey = FirstKey;

    // Per track index.
    private int[] _tKey;
    private int[] _tAlbum;
    private byte[] _tIndex;
    private byte[] _tDisc;
    private int[] _tDuration;
    private long[] _tAddedAt;
    private int _trackCount;

    // Per album index.
    private int[] _aKey;
    private int[] _aArtist;
    private int[] _aFirstTrack;
    private short[] _aTrackCount;
    private short[] _aYear;
    private bool[] _aLive;
    private long[] _aAddedAt;
    private int _albumCount;

    // Per artist index.
    private int[] _rKey;
    private int[] _rSection;
    private IntList[] _rAlbums;
    private long[] _rAddedAt;
    private int _artistCount;

    private long _structureVersion;
    private long _ratingsVersion;

    private EmulatedLibrary(EmulatorOptions options, int expectedTracks)
    {
        Seed = options.Seed;
        _time = options.TimeProvider;
        _historyEnd = _time.GetUtcNow().ToUnixTimeSeconds();
        var albums = (expectedTracks / 8) + 16;
        var keys = FirstKey + expectedTracks + (albums * 2) + 16;
        _kind = new byte[keys];
        _itemIndex = new int[keys];
        _rating = new float[keys];
        Array.Fill(_rating, float.NaN);
        _ratedAt = new long[keys];
        _tKey = new int[expectedTracks + 16];
        _tAlbum = new int[_tKey.Length];
        _tIndex = new byte[_tKey.Length];
        _tDisc = new byte[_tKey.Length];
        _tDuration = new int[_tKey.Length];
        _tAddedAt = new long[_tKey.Length];
        _aKey = new int[albums];
        _aArtist = new int[albums];
        _aFirstTrack = new int[albums];
        _aTrackCount = new short[albums];
        _aYear = new short[albums];
        _aLive = new bool[albums];
        _aAddedAt = new long[albums];
        _rKey = new int[albums];
        _rSection = new int[albums];
        _rAlbums = new IntList[albums];
        _rAddedAt = new long[albums];
    }

    /// <summary>Generates the library described by <paramref name="options"/> (no server needed).</summary>
    public static EmulatedLibrary Create(EmulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Tracks);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MusicLibraries, 1);
        var library = new EmulatedLibrary(options, options.Tracks);
        LibraryGenerator.Generate(library, options);
        return library;
    }

    internal int Seed { get; }

    public IReadOnlyList<EmulatedSection> Sections => _sections;

    /// <summary>Tracks across all music sections.</summary>
    public int TotalTracks => Volatile.Read(ref _trackCount);

    internal long StructureVersion => Interlocked.Read(ref _structureVersion);

    internal long RatingsVersion => Interlocked.Read(ref _ratingsVersion);

    internal TimeProvider Time => _time;

    // ---- Public lookups for tests ----

    /// <summary>The owner's rating, null when unrated.</summary>
    public double? GetUserRating(string ratingKey) => GetUserRating(ratingKey, token: null);

    /// <summary>A shared user's rating (null token = the owner).</summary>
    public double? GetUserRating(string ratingKey, string? token)
    {
        var key = RequireKey(ratingKey);
        var r = RatingOf(key, token is null ? null : UserFor(token));
        return float.IsNaN(r) ? null : r;
    }

    /// <summary>When the owner last rated the item, null when unrated.</summary>
    public DateTimeOffset? GetLastRatedAt(string ratingKey)
    {
        var key = RequireKey(ratingKey);
        return float.IsNaN(_rating[key]) || _ratedAt[key] == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(_ratedAt[key]);
    }

    /// <summary>Sets the owner's rating as a person would in Plex; not counted as an API write.</summary>
    public void SetUserRating(string ratingKey, double? rating)
    {
        var key = RequireKey(ratingKey);
        if (rating is { } r && (double.IsNaN(r) || r < 0 || r > 10))
        {
            throw new ArgumentOutOfRangeException(nameof(rating), rating, "A Plex rating is 0..10 or null.");
        }

        WriteRating(key, rating is null ? float.NaN : (float)rating.Value, null, _time.GetUtcNow().ToUnixTimeSeconds());
    }

    /// <summary>All track ratingKeys of a section, in ratingKey order.</summary>
    public IReadOnlyList<string> TrackKeys(string sectionKey)
    {
        var tracks = RequireSection(sectionKey).Tracks.Snapshot();
        var keys = new string[tracks.Length];
        for (var i = 0; i < tracks.Length; i++)
        {
            keys[i] = _tKey[tracks[i]].ToString(CultureInfo.InvariantCulture);
        }

        return keys;
    }

    /// <summary>All album ratingKeys of a section.</summary>
    public IReadOnlyList<string> AlbumKeys(string sectionKey) => KeysOf(RequireSection(sectionKey).Albums.Snapshot(), _aKey);

    /// <summary>All artist ratingKeys of a section.</summary>
    public IReadOnlyList<string> ArtistKeys(string sectionKey) => KeysOf(RequireSection(sectionKey).Artists.Snapshot(), _rKey);

    public int CountRated(string sectionKey) => RequireSection(sectionKey).TrackCount - CountUnrated(sectionKey);

    public int CountUnrated(string sectionKey)
    {
        var count = 0;
        var rating = _rating;
        var keys = _tKey;
        foreach (var t in RequireSection(sectionKey).Tracks.Snapshot())
        {
            if (float.IsNaN(rating[keys[t]]))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The title PMS would show for an artist, album or track.</summary>
    public string GetTitle(string ratingKey)
    {
        var key = RequireKey(ratingKey);
        return Title(key);
    }

    /// <summary>"artist", "album" or "track".</summary>
    public string GetItemType(string ratingKey) => TypeName(_kind[RequireKey(ratingKey)]);

    /// <summary>The parent's ratingKey (track → album → artist), null for an artist.</summary>
    public string? GetParentKey(string ratingKey)
    {
        var key = RequireKey(ratingKey);
        var i = _itemIndex[key];
        return _kind[key] switch
        {
            KindTrack => _aKey[_tAlbum[i]].ToString(CultureInfo.InvariantCulture),
            KindAlbum => _rKey[_aArtist[i]].ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>
    /// New music arrives: a new album (of a new artist, or of the existing artist with that name) whose
    /// tracks are unrated and added now, as a scan would add them.
    /// </summary>
    public NewAlbum AddAlbum(string sectionKey, int trackCount, string? artistName = null)
    {
        var section = RequireSection(sectionKey);
        if (!section.IsMusic)
        {
            throw new ArgumentException($"Section {sectionKey} is not a music section.", nameof(sectionKey));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(trackCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trackCount, 250);
        var now = _time.GetUtcNow();
        NewAlbum added;
        lock (_gate)
        {
            var artist = -1;
            if (artistName is not null)
            {
                foreach (var r in section.Artists.Snapshot())
                {
                    if (string.Equals(Title(_rKey[r]), artistName, StringComparison.OrdinalIgnoreCase))
                    {
                        artist = r;
                        break;
                    }
                }
            }

            if (artist < 0)
            {
                artist = AppendArtist(section, now.ToUnixTimeSeconds());
                if (artistName is not null)
                {
                    _customTitles[_rKey[artist]] = artistName;
                }
            }

            var album = AppendAlbum(artist, (short)now.Year, live: false, now.ToUnixTimeSeconds());
            var random = new Random(unchecked(Seed * 31 + _aKey[album]));
            var keys = new string[trackCount];
            for (var i = 0; i < trackCount; i++)
            {
                var t = AppendTrack(album, index: (byte)(i + 1), disc: 1, durationMs: random.Next(120_000, 420_000), now.ToUnixTimeSeconds());
                keys[i] = _tKey[t].ToString(CultureInfo.InvariantCulture);
            }

            Interlocked.Increment(ref _structureVersion);
            added = new NewAlbum(
                section.Key,
                _rKey[artist].ToString(CultureInfo.InvariantCulture),
                _aKey[album].ToString(CultureInfo.InvariantCulture),
                keys,
                Title(_aKey[album]),
                Title(_rKey[artist]));
        }

        // Outside the lock: the server's scanner (notifications) reads the library while it announces the album.
        AlbumAdded?.Invoke(added);
        return added;
    }

    /// <summary>Raised after <see cref="AddAlbum"/>, as a scan finding new files; the notification websocket announces it.</summary>
    public event Action<NewAlbum>? AlbumAdded;

    // ---- Internal access for the HTTP layer ----

    internal EmulatedSection? FindSection(string key)
    {
        foreach (var s in _sections)
        {
            if (s.Key == key)
            {
                return s;
            }
        }

        return null;
    }

    internal EmulatedSection SectionOf(int key) => _sections[SectionIdOf(key) - 1];

    internal int SectionIdOf(int key)
    {
        var i = _itemIndex[key];
        return _kind[key] switch
        {
            KindTrack => _rSection[_aArtist[_tAlbum[i]]],
            KindAlbum => _rSection[_aArtist[i]],
            _ => _rSection[i],
        };
    }

    /// <summary>Kind of a ratingKey, <see cref="KindNone"/> when unknown.</summary>
    internal byte KindOf(int key) => key >= FirstKey && key < Volatile.Read(ref _nextKey) ? _kind[key] : KindNone;

    internal bool TryParseKey(string? text, out int key) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out key) && KindOf(key) != KindNone;

    internal int IndexOf(int key) => _itemIndex[key];

    internal int TrackKey(int t) => _tKey[t];

    internal int TrackAlbum(int t) => _tAlbum[t];

    internal int TrackIndex(int t) => _tIndex[t];

    internal int TrackDisc(int t) => _tDisc[t];

    internal int TrackDuration(int t) => _tDuration[t];

    internal long TrackAddedAt(int t) => _tAddedAt[t];

    internal int AlbumKey(int a) => _aKey[a];

    internal int AlbumArtist(int a) => _aArtist[a];

    internal int AlbumFirstTrack(int a) => _aFirstTrack[a];

    internal int AlbumTrackCount(int a) => _aTrackCount[a];

    internal int AlbumYear(int a) => _aYear[a];

    internal long AlbumAddedAt(int a) => _aAddedAt[a];

    internal int ArtistKey(int r) => _rKey[r];

    internal ReadOnlySpan<int> ArtistAlbums(int r) => _rAlbums[r].Snapshot();

    internal long ArtistAddedAt(int r) => _rAddedAt[r];

    internal bool IsRatingLocked(int key) => _lockedRatings.ContainsKey(key);

    /// <summary>Derived, stable per item: PMS's updatedAt moves with metadata refreshes, not with ratings.</summary>
    internal long UpdatedAt(int key, long addedAt) => addedAt + (long)(Names.Hash(Seed, key, 7) % 86_400);

    /// <summary>Derived play history: about a third of the tracks were played.</summary>
    internal int ViewCount(int key) => (Names.Hash(Seed, key, 8) % 3) == 0 ? (int)(Names.Hash(Seed, key, 9) % 40) + 1 : 0;

    internal long LastViewedAt(int key, long addedAt)
    {
        if (ViewCount(key) == 0)
        {
            return 0;
        }

        var span = Math.Max(1, _historyEnd - addedAt);
        return addedAt + (long)(Names.Hash(Seed, key, 10) % (ulong)span);
    }

    internal string Title(int key)
    {
        if (_customTitles.TryGetValue(key, out var custom))
        {
            return custom;
        }

        var i = _itemIndex[key];
        return _kind[key] switch
        {
            KindArtist => Names.Artist(Seed, key),
            KindAlbum => Names.Album(Seed, key, _aLive[i], _aYear[i], IsCompilation(i)),
            KindTrack => Names.Track(Seed, key),
            _ => throw new ArgumentOutOfRangeException(nameof(key)),
        };
    }

    internal static string TypeName(byte kind) => kind switch
    {
        KindArtist => "artist",
        KindAlbum => "album",
        KindTrack => "track",
        _ => "unknown",
    };

    /// <summary>The rating as seen by a user (null = owner); NaN when unrated.</summary>
    internal float RatingOf(int key, UserState? user) => user is null ? _rating[key] : user.Rating(key);

    internal long RatedAtOf(int key, UserState? user) => user is null ? _ratedAt[key] : user.RatedAt(key);

    internal UserState UserFor(string token) => _users.GetOrAdd(token, static _ => new UserState());

    /// <summary>Writes (or with NaN clears) a rating. Cleared ratings keep no lastRatedAt.</summary>
    internal void WriteRating(int key, float value, UserState? user, long ratedAt)
    {
        if (user is not null)
        {
            user.Set(key, value, ratedAt);
        }
        else
        {
            lock (_gate)
            {
                _rating[key] = value;
                _ratedAt[key] = float.IsNaN(value) ? 0 : ratedAt;
            }
        }

        Interlocked.Increment(ref _ratingsVersion);
    }

    internal void LockRating(int key) => _lockedRatings[key] = true;

    internal void UnlockRating(int key) => _lockedRatings.TryRemove(key, out _);

    /// <summary>Whether a bulk edit left the userRating field locked (shown as a locked Field child).</summary>
    public bool IsRatingLocked(string ratingKey) => IsRatingLocked(RequireKey(ratingKey));

    // ---- Appends, called by the generator and AddAlbum (under _gate or before publication) ----

    internal EmulatedSection AddSection(string title, string type, long createdAt)
    {
        var id = _sections.Count + 1;
        var section = new EmulatedSection(id, title, type, Names.Uuid(Seed, id, 100), createdAt);
        _sections.Add(section);
        return section;
    }

    internal int AppendArtist(EmulatedSection section, long addedAt)
    {
        var r = _artistCount;
        EnsureCapacity(ref _rKey, r + 1);
        EnsureCapacity(ref _rSection, r + 1);
        EnsureCapacity(ref _rAlbums, r + 1);
        EnsureCapacity(ref _rAddedAt, r + 1);
        _rKey[r] = NewKey(KindArtist, r);
        _rSection[r] = section.Id;
        _rAlbums[r] = new IntList(4);
        _rAddedAt[r] = addedAt;
        Volatile.Write(ref _artistCount, r + 1);
        section.Artists.Add(r);
        return r;
    }

    internal int AppendAlbum(int artist, short year, bool live, long addedAt)
    {
        var a = _albumCount;
        EnsureCapacity(ref _aKey, a + 1);
        EnsureCapacity(ref _aArtist, a + 1);
        EnsureCapacity(ref _aFirstTrack, a + 1);
        EnsureCapacity(ref _aTrackCount, a + 1);
        EnsureCapacity(ref _aYear, a + 1);
        EnsureCapacity(ref _aLive, a + 1);
        EnsureCapacity(ref _aAddedAt, a + 1);
        _aKey[a] = NewKey(KindAlbum, a);
        _aArtist[a] = artist;
        _aFirstTrack[a] = _trackCount;
        _aTrackCount[a] = 0;
        _aYear[a] = year;
        _aLive[a] = live;
        _aAddedAt[a] = addedAt;
        Volatile.Write(ref _albumCount, a + 1);
        _rAlbums[artist].Add(a);
        _sections[_rSection[artist] - 1].Albums.Add(a);
        return a;
    }

    /// <summary>Tracks of an album are appended together, so an album's tracks are one contiguous range.</summary>
    internal int AppendTrack(int album, byte index, byte disc, int durationMs, long addedAt)
    {
        var t = _trackCount;
        EnsureCapacity(ref _tKey, t + 1);
        EnsureCapacity(ref _tAlbum, t + 1);
        EnsureCapacity(ref _tIndex, t + 1);
        EnsureCapacity(ref _tDisc, t + 1);
        EnsureCapacity(ref _tDuration, t + 1);
        EnsureCapacity(ref _tAddedAt, t + 1);
        _tKey[t] = NewKey(KindTrack, t);
        _tAlbum[t] = album;
        _tIndex[t] = index;
        _tDisc[t] = disc;
        _tDuration[t] = durationMs;
        _tAddedAt[t] = addedAt;
        _aTrackCount[album]++;
        Volatile.Write(ref _trackCount, t + 1);
        _sections[_rSection[_aArtist[album]] - 1].Tracks.Add(t);
        return t;
    }

    /// <summary>Used by the generator only, before the library is shared.</summary>
    internal void SeedRating(int key, float value, long ratedAt)
    {
        _rating[key] = value;
        _ratedAt[key] = ratedAt;
    }

    private int NewKey(byte kind, int index)
    {
        var key = _nextKey;
        if (key >= _kind.Length)
        {
            var size = _kind.Length * 2;
            var rating = _rating;
            Array.Resize(ref rating, size);
            rating.AsSpan(_kind.Length).Fill(float.NaN);
            var ratedAt = _ratedAt;
            Array.Resize(ref ratedAt, size);
            var itemIndex = _itemIndex;
            Array.Resize(ref itemIndex, size);
            var kinds = _kind;
            Array.Resize(ref kinds, size);
            Volatile.Write(ref _rating, rating);
            Volatile.Write(ref _ratedAt, ratedAt);
            Volatile.Write(ref _itemIndex, itemIndex);
            Volatile.Write(ref _kind, kinds);
        }

        _kind[key] = kind;
        _itemIndex[key] = index;
        Volatile.Write(ref _nextKey, key + 1);
        return key;
    }

    private static void EnsureCapacity<T>(ref T[] array, int size)
    {
        if (size > array.Length)
        {
            var grown = array;
            Array.Resize(ref grown, Math.Max(size, array.Length * 2));
            Volatile.Write(ref array, grown);
        }
    }

    private int RequireKey(string ratingKey)
    {
        if (!TryParseKey(ratingKey, out var key))
        {
            throw new KeyNotFoundException($"No item with ratingKey '{ratingKey}'.");
        }

        return key;
    }

    private EmulatedSection RequireSection(string sectionKey) =>
        FindSection(sectionKey) ?? throw new KeyNotFoundException($"No section with key '{sectionKey}'.");

    private static string[] KeysOf(ReadOnlySpan<int> indices, int[] keys)
    {
        var result = new string[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            result[i] = keys[indices[i]].ToString(CultureInfo.InvariantCulture);
        }

        return result;
    }

    /// <summary>A shared user's own ratings: sparse, since such users rate little.</summary>
    internal sealed class UserState
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<int, (float Rating, long RatedAt)> _ratings = [];

        public float Rating(int key)
        {
            lock (_gate)
            {
                return _ratings.TryGetValue(key, out var r) ? r.Rating : float.NaN;
            }
        }

        public long RatedAt(int key)
        {
            lock (_gate)
            {
                return _ratings.TryGetValue(key, out var r) ? r.RatedAt : 0;
            }
        }

        public void Set(int key, float value, long ratedAt)
        {
            lock (_gate)
            {
                if (float.IsNaN(value))
                {
                    _ratings.Remove(key);
                }
                else
                {
                    _ratings[key] = (value, ratedAt);
                }
            }
        }
    }
}
