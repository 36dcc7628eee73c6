using System.Runtime.InteropServices;
using System.Text;
using StarSync.Plex;

namespace StarSync.Rules;

/// <summary>
/// The signals of one library's unrated tracks as one preview read them, kept so the next previews of an edit session
/// are evaluated in memory (<see cref="SignalCache"/>). Per track a 32-byte record (plays, skips, last played, added,
/// length, and an index into a shared table of album/artist keys and names) plus the ratingKey and title as UTF-8 in
/// shared chunks (only the preview's samples decode them); the album facts and hand ratings the rules read, once read.
/// Immutable: adding album facts or hand ratings later makes a new snapshot sharing the tracks.
/// </summary>
public sealed class SignalSnapshot
{
    private readonly Row[] _rows;
    private readonly byte[][] _text;
    private readonly TrackContext[] _contexts;
    private readonly long _trackBytes;

    internal SignalSnapshot(PlexLibrary library, string connection, DateTimeOffset readAt, Row[] rows, int count, byte[][] text, TrackContext[] contexts, long trackBytes,
        IReadOnlyDictionary<string, AlbumFacts>? albums, HandRatings? hand)
    {
        Library = library;
        Connection = connection;
        ReadAt = readAt;
        _rows = rows;
        Count = count;
        _text = text;
        _contexts = contexts;
        _trackBytes = trackBytes;
        Albums = albums;
        Hand = hand;
    }

    /// <summary>The library the signals were read from.</summary>
    public PlexLibrary Library { get; }

    /// <summary>Which server and account read it (plays and skips are the token's account's): see <see cref="SignalCache.ConnectionId"/>.</summary>
    public string Connection { get; }

    /// <summary>When the listing that filled the snapshot began.</summary>
    public DateTimeOffset ReadAt { get; }

    /// <summary>Unrated tracks, in listing order.</summary>
    public int Count { get; }

    /// <summary>Album facts by album ratingKey, null until a rule needed them.</summary>
    public IReadOnlyDictionary<string, AlbumFacts>? Albums { get; }

    /// <summary>The library's hand ratings, null until a rule inherited.</summary>
    public HandRatings? Hand { get; }

    /// <summary>What the snapshot holds, estimated (arrays, strings, dictionary entries).</summary>
    public long EstimatedBytes => _trackBytes + AlbumBytes(Albums) + HandBytes(Hand);

    /// <summary>The rules' view of track <paramref name="i"/>; allocates nothing.</summary>
    public TrackInput Input(int i)
    {
        ref readonly var row = ref _rows[i];
        var context = _contexts[row.Context];
        return new TrackInput(row.ViewCount, row.SkipCount, row.LastViewedAt == Row.None ? null : row.LastViewedAt, row.AddedAt,
            row.DurationMs == Row.None ? null : row.DurationMs, context.AlbumKey, context.ArtistKey, context.AlbumTitle, context.ArtistTitle);
    }

    /// <summary>The ratingKey of track <paramref name="i"/>.</summary>
    public string RatingKey(int i)
    {
        ref readonly var row = ref _rows[i];
        return Encoding.UTF8.GetString(_text[row.Text >> Chunks.Shift].AsSpan(row.Text & Chunks.Mask, row.KeyLength));
    }

    /// <summary>The title of track <paramref name="i"/>.</summary>
    public string Title(int i)
    {
        ref readonly var row = ref _rows[i];
        return Encoding.UTF8.GetString(_text[row.Text >> Chunks.Shift].AsSpan((row.Text & Chunks.Mask) + row.KeyLength, row.TitleLength));
    }

    /// <summary>The same tracks with album facts and hand ratings as given (each null = keep what this one has).</summary>
    public SignalSnapshot With(IReadOnlyDictionary<string, AlbumFacts>? albums, HandRatings? hand) =>
        new(Library, Connection, ReadAt, _rows, Count, _text, _contexts, _trackBytes, albums ?? Albums, hand ?? Hand);

    // Dictionary entry, key string and the shared AlbumFacts object; tag lists are shared through a TagPool.
    private static long AlbumBytes(IReadOnlyDictionary<string, AlbumFacts>? albums) => albums is null ? 0 : albums.Count * 120L;

    private static long HandBytes(HandRatings? hand) => hand is null ? 0 : (hand.ByAlbum.Count + hand.ByArtist.Count) * 80L;

    /// <summary>One unrated track, 32 bytes. Epoch seconds and milliseconds fit a uint until 2106 / for 49 days; <see cref="None"/> = absent.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct Row
    {
        public const uint None = uint.MaxValue;
        public int Text;
        public ushort KeyLength;
        public ushort TitleLength;
        public int ViewCount;
        public int SkipCount;
        public uint LastViewedAt;
        public uint AddedAt;
        public uint DurationMs;
        public int Context;
    }

    /// <summary>The album and album artist a track belongs to, shared by the album's tracks.</summary>
    internal readonly record struct TrackContext(string? AlbumKey, string? ArtistKey, string? AlbumTitle, string? ArtistTitle);

    /// <summary>Text lives in chunks of 256 KiB, so growing never copies what is there (no doubling peak).</summary>
    internal static class Chunks
    {
        public const int Shift = 18;
        public const int Size = 1 << Shift;
        public const int Mask = Size - 1;
    }
}

/// <summary>
/// Fills a <see cref="SignalSnapshot"/> while a preview streams a library's unrated tracks. Gives up (and lets go of
/// what it holds) when the tracks would need more than <c>budgetBytes</c>, or when a value does not fit its compact
/// record (a date before 1970, a title over 64 KiB): the preview then goes on streamed, as it would without a cache.
/// </summary>
internal sealed class SignalSnapshotBuilder
{
    private const int RowBytes = 32;
    private const int ContextBytes = 32 + 48; // the table entry, plus its share of the build-time dictionary
    private readonly PlexLibrary _library;
    private readonly string _connection;
    private readonly DateTimeOffset _readAt;
    private readonly long _budget;
    private readonly Dictionary<SignalSnapshot.TrackContext, int> _contextIndex = [];
    private readonly List<SignalSnapshot.TrackContext> _contexts = [];
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly List<byte[]> _text = [];
    private SignalSnapshot.Row[] _rows;
    private int _count;
    private int _textUsed = SignalSnapshot.Chunks.Size; // forces the first chunk
    private long _stringBytes;
    private SignalSnapshot.TrackContext _lastContext;
    private int _lastContextIndex = -1;

    public SignalSnapshotBuilder(PlexLibrary library, string connection, DateTimeOffset readAt, int expected, long budgetBytes)
    {
        _library = library;
        _connection = connection;
        _readAt = readAt;
        _budget = budgetBytes;
        _rows = new SignalSnapshot.Row[Math.Max(16, expected)];
    }

    /// <summary>Why the builder gave up, null while it is still filling.</summary>
    public string? GaveUp { get; private set; }

    /// <summary>True when it gave up for want of room (not for a value its record cannot hold).</summary>
    public bool OverBudget { get; private set; }

    /// <summary>What it held when it gave up.</summary>
    public long BytesWhenStopped { get; private set; }

    /// <summary>The estimated bytes held so far.</summary>
    public long Bytes => ((long)_rows.Length * RowBytes) + ((long)_text.Count * SignalSnapshot.Chunks.Size) + ((long)_contexts.Count * ContextBytes) + _stringBytes;

    /// <summary>The bytes a library of <paramref name="tracks"/> unrated tracks would need, judged from a first page.</summary>
    public static long Estimate(int tracks, IReadOnlyList<PlexTrack> sample)
    {
        if (sample.Count == 0)
        {
            return (long)tracks * RowBytes;
        }

        long text = 0;
        var albums = new HashSet<string?>(StringComparer.Ordinal);
        foreach (var t in sample)
        {
            text += Encoding.UTF8.GetByteCount(t.RatingKey) + Encoding.UTF8.GetByteCount(t.Title);
            albums.Add(t.AlbumKey);
        }

        // Album/artist names are shared per album: about (contexts per track) × (entry + 4 short strings).
        var perTrack = RowBytes + ((double)text / sample.Count) + ((double)albums.Count / sample.Count * (ContextBytes + 160));
        return (long)(tracks * perTrack);
    }

    /// <summary>Adds the next track; false once the builder has given up (see <see cref="GaveUp"/>).</summary>
    public bool Add(PlexTrack track)
    {
        if (GaveUp is not null)
        {
            return false;
        }

        if (!Fits(track.AddedAt, allowNull: false, out var added) || !Fits(track.LastViewedAt, allowNull: true, out var viewed) ||
            !Fits(track.DurationMs, allowNull: true, out var duration))
        {
            return Stop($"a value of track {track.RatingKey} does not fit the compact record");
        }

        var keyLength = Encoding.UTF8.GetByteCount(track.RatingKey);
        var titleLength = Encoding.UTF8.GetByteCount(track.Title);
        if (keyLength > ushort.MaxValue || titleLength > ushort.MaxValue)
        {
            return Stop($"track {track.RatingKey} has a title over 64 KiB");
        }

        if (_count == _rows.Length)
        {
            // The listing grew past what Plex counted at first: grow by a quarter, not double.
            Array.Resize(ref _rows, _rows.Length + Math.Max(1024, _rows.Length / 4));
        }

        var text = Write(track.RatingKey, keyLength, track.Title, titleLength);
        _rows[_count++] = new SignalSnapshot.Row
        {
            Text = text,
            KeyLength = (ushort)keyLength,
            TitleLength = (ushort)titleLength,
            ViewCount = track.ViewCount,
            SkipCount = track.SkipCount,
            LastViewedAt = viewed,
            AddedAt = added,
            DurationMs = duration,
            Context = ContextOf(track),
        };
        if (Bytes <= _budget)
        {
            return true;
        }

        OverBudget = true;
        return Stop("over budget");
    }

    /// <summary>The snapshot of what was added.</summary>
    public SignalSnapshot Build(IReadOnlyDictionary<string, AlbumFacts>? albums, HandRatings? hand)
    {
        if (GaveUp is not null)
        {
            throw new InvalidOperationException("The builder gave up: " + GaveUp);
        }

        return new SignalSnapshot(_library, _connection, _readAt, _rows, _count, [.. _text], [.. _contexts],
            ((long)_rows.Length * RowBytes) + ((long)_text.Count * SignalSnapshot.Chunks.Size) + ((long)_contexts.Count * 32) + _stringBytes, albums, hand);
    }

    private bool Stop(string why)
    {
        BytesWhenStopped = Bytes;
        GaveUp = why;
        _rows = [];
        _text.Clear();
        _contexts.Clear();
        _contextIndex.Clear();
        _strings.Clear();
        return false;
    }

    private static bool Fits(long? value, bool allowNull, out uint stored)
    {
        stored = SignalSnapshot.Row.None;
        if (value is not { } v)
        {
            return allowNull;
        }

        if (v is < 0 or >= SignalSnapshot.Row.None)
        {
            return false;
        }

        stored = (uint)v;
        return true;
    }

    private int Write(string key, int keyLength, string title, int titleLength)
    {
        var length = keyLength + titleLength;
        if (_textUsed + length > SignalSnapshot.Chunks.Size)
        {
            _text.Add(new byte[SignalSnapshot.Chunks.Size]);
            _textUsed = 0;
        }

        var chunk = _text[^1];
        Encoding.UTF8.GetBytes(key, chunk.AsSpan(_textUsed, keyLength));
        Encoding.UTF8.GetBytes(title, chunk.AsSpan(_textUsed + keyLength, titleLength));
        var offset = ((_text.Count - 1) << SignalSnapshot.Chunks.Shift) | _textUsed;
        _textUsed += length;
        return offset;
    }

    // The tracks of an album come one after the other (the listing is sorted by ratingKey), so the last context is
    // usually the one; the table shares album and artist strings between albums.
    private int ContextOf(PlexTrack track)
    {
        var context = new SignalSnapshot.TrackContext(track.AlbumKey, track.ArtistKey, track.AlbumTitle, track.ArtistTitle);
        if (_lastContextIndex >= 0 && context == _lastContext)
        {
            return _lastContextIndex;
        }

        if (!_contextIndex.TryGetValue(context, out var index))
        {
            var shared = new SignalSnapshot.TrackContext(Share(track.AlbumKey), Share(track.ArtistKey), Share(track.AlbumTitle), Share(track.ArtistTitle));
            index = _contexts.Count;
            _contexts.Add(shared);
            _contextIndex[shared] = index;
        }

        _lastContext = context;
        _lastContextIndex = index;
        return index;
    }

    private string? Share(string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (!_strings.TryGetValue(value, out var shared))
        {
            shared = value;
            _strings[value] = value;
            _stringBytes += 24 + (2L * value.Length);
        }

        return shared;
    }
}
