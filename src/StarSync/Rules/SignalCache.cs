using StarSync.Jobs;
using StarSync.Plex;

namespace StarSync.Rules;

/// <summary>Limits of the <see cref="SignalCache"/>.</summary>
public sealed record SignalCacheOptions
{
    /// <summary>
    /// Most bytes the kept signals of all libraries may take: 32 MiB holds about 400k unrated tracks (100k tracks take
    /// 7 MB), and a 1M-track library is not kept at all, so its preview needs no more memory than one pass. 0 turns the
    /// cache off.
    /// </summary>
    public long MaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>A library's signals not used by a preview for this long are dropped (an edit session has ended).</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Signals older than this are read again even while previews keep using them.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Keeps the signals one preview read (per library, see <see cref="SignalSnapshot"/>) so the next previews of an edit
/// session are evaluated in memory instead of reading Plex again. Dropped when the library may have changed: a job
/// that is not a dry run started or ended (ratings were written, or a person's may have been undone; none is kept
/// while it runs), new music was announced
/// (a webhook or Plex notification queued a job), after <see cref="SignalCacheOptions.Idle"/> without a preview, or
/// on Refresh. Never holds more than <see cref="SignalCacheOptions.MaxBytes"/>: a library that does not fit is previewed
/// streamed each time, and the preview says so.
/// </summary>
/// <remarks>
/// A preview that started reading before a drop must not store what it read after it: every drop moves
/// <see cref="Generation"/>, and <see cref="Store"/> refuses a snapshot read under an older one.
/// </remarks>
public sealed partial class SignalCache(TimeProvider time, SignalCacheOptions options, ILogger<SignalCache> logger) : IJobEventHandler, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<long> _writing = [];
    private long _generation;
    private ITimer? _timer;

    /// <summary>The limits in force.</summary>
    public SignalCacheOptions Options => options;

    /// <summary>Moves on every drop; a fill stores only under the generation it began in.</summary>
    public long Generation
    {
        get
        {
            lock (_gate)
            {
                return _generation;
            }
        }
    }

    /// <summary>Libraries kept now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Bytes kept now (estimated).</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Sum(e => e.Snapshot.EstimatedBytes);
            }
        }
    }

    /// <summary>
    /// Names a Plex connection without holding its token: plays and skips are the token's account's, so signals read
    /// through another URL or token are another library's.
    /// </summary>
    public static string ConnectionId(string url, string token) =>
        url + "\u001f" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)), 0, 8);

    /// <summary>The kept signals of <paramref name="library"/> read through <paramref name="connection"/>, or null (none, too old, or idle too long). A hit counts as use.</summary>
    public SignalSnapshot? TryGet(PlexLibrary library, string connection)
    {
        ArgumentNullException.ThrowIfNull(library);
        var key = KeyOf(library, connection);
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_writing.Count > 0 || !_entries.TryGetValue(key, out var entry))
            {
                return null;
            }

            if (Expired(entry, now))
            {
                _entries.Remove(key);
                return null;
            }

            _entries[key] = entry with { LastUsed = now };
            ArmLocked(now);
            return entry.Snapshot;
        }
    }

    /// <summary>Bytes a new snapshot of <paramref name="library"/> may take (its own current entry does not count).</summary>
    public long Room(PlexLibrary library, string connection)
    {
        ArgumentNullException.ThrowIfNull(library);
        lock (_gate)
        {
            var key = KeyOf(library, connection);
            return options.MaxBytes - _entries.Where(e => e.Key != key).Sum(e => e.Value.Snapshot.EstimatedBytes);
        }
    }

    /// <summary>
    /// Keeps <paramref name="snapshot"/> unless the cache was dropped since <paramref name="generation"/> (then it may
    /// be stale) or it does not fit beside the other libraries. Returns why not, or null when kept.
    /// </summary>
    public string? Store(SignalSnapshot snapshot, long generation)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (generation != _generation)
            {
                return "the library changed while it was read";
            }

            if (_writing.Count > 0)
            {
                return "a job is changing the library now";
            }

            var key = KeyOf(snapshot.Library, snapshot.Connection);
            var others = _entries.Where(e => e.Key != key).Sum(e => e.Value.Snapshot.EstimatedBytes);
            if (others + snapshot.EstimatedBytes > options.MaxBytes)
            {
                return TooLarge(snapshot.EstimatedBytes);
            }

            var now = time.GetUtcNow();
            _entries[key] = new Entry(snapshot, now);
            ArmLocked(now);
            LogKept(snapshot.Library.Title, snapshot.Count, snapshot.EstimatedBytes / 1024);
            return null;
        }
    }

    /// <summary>The words for a library whose signals do not fit.</summary>
    public string TooLarge(long bytes) => options.MaxBytes <= 0
        ? "the preview cache is off"
        : $"its signals need about {Mb(bytes)}, more than the {Mb(options.MaxBytes)} the preview may keep";

    /// <summary>Drops every library's signals (Refresh, a finished job, new music).</summary>
    public void Invalidate(string reason)
    {
        int dropped;
        lock (_gate)
        {
            _generation++;
            dropped = _entries.Count;
            _entries.Clear();
            _timer?.Dispose();
            _timer = null;
        }

        if (dropped > 0)
        {
            LogDropped(dropped, reason);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// While a job that writes runs, nothing is served or kept: the queue reports the job done a moment before this
    /// event says it ended, and a preview in between must not get signals read before or during the job.
    /// </remarks>
    public void OnJobChanged(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Status == JobStatus.Queued && job.Trigger is JobTrigger.Webhook or JobTrigger.Notification)
        {
            Invalidate($"new music announced (job #{job.Id} queued)");
        }
        else if (job.Status == JobStatus.Running && !job.DryRun)
        {
            lock (_gate)
            {
                _writing.Add(job.Id);
            }

            Invalidate($"job #{job.Id} started");
        }
        else if ((job.Status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled) && !job.DryRun)
        {
            lock (_gate)
            {
                _writing.Remove(job.Id);
            }

            Invalidate($"job #{job.Id} ended");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            _entries.Clear();
        }
    }

    private static string KeyOf(PlexLibrary library, string connection) => connection + "\u001f" + library.Key + "\u001f" + library.Uuid;

    private bool Expired(Entry entry, DateTimeOffset now) => now - entry.LastUsed >= options.Idle || now - entry.Snapshot.ReadAt >= options.MaxAge;

    private static string Mb(long bytes) => bytes >= 1024 * 1024
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1024.0:0} KB");

    // One timer, due at the earliest expiry, so idle signals free their memory without waiting for the next preview.
    private void ArmLocked(DateTimeOffset now)
    {
        if (_entries.Count == 0)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }

        var due = _entries.Values.Min(e => e.LastUsed + options.Idle < e.Snapshot.ReadAt + options.MaxAge ? e.LastUsed + options.Idle : e.Snapshot.ReadAt + options.MaxAge) - now;
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        if (_timer is null)
        {
            _timer = time.CreateTimer(static state => ((SignalCache)state!).Sweep(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void Sweep()
    {
        int dropped;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var expired = _entries.Where(e => Expired(e.Value, now)).Select(e => e.Key).ToList();
            foreach (var key in expired)
            {
                _entries.Remove(key);
            }

            dropped = expired.Count;
            ArmLocked(now);
        }

        if (dropped > 0)
        {
            LogExpired(dropped);
        }
    }

    private sealed record Entry(SignalSnapshot Snapshot, DateTimeOffset LastUsed);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Debug, Message = "Preview signals of {Library} kept for the next previews: {Tracks} unrated tracks, about {KiB} KiB")]
    private partial void LogKept(string library, int tracks, long kiB);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Debug, Message = "Preview signals of {Count} librar(y/ies) dropped: {Reason}")]
    private partial void LogDropped(int count, string reason);

    [LoggerMessage(EventId = 3213, Level = LogLevel.Debug, Message = "Preview signals of {Count} librar(y/ies) dropped after being idle")]
    private partial void LogExpired(int count);
}
