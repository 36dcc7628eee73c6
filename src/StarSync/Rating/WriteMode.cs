using System.Text.Json;
using StarSync.Configuration;

namespace StarSync.Rating;

/// <summary>How ratings are written to Plex (WRITE_MODE).</summary>
public enum WriteMode
{
    /// <summary>Bulk edits once a small verified batch showed this server honours them; else one write per track.</summary>
    Auto,

    /// <summary>Bulk edits always (each one still read back; what did not take is written per track).</summary>
    Batch,

    /// <summary>One <c>PUT /:/rate</c> per track (WRITE_MODE=single).</summary>
    PerTrack,
}

/// <summary>Names of <see cref="WriteMode"/> as WRITE_MODE spells them.</summary>
public static class WriteModes
{
    /// <summary>For error messages.</summary>
    public const string Allowed = "auto, batch or single";

    /// <summary>auto / batch / single (case-insensitive); null when it is none of them.</summary>
    public static WriteMode? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "auto" => WriteMode.Auto,
        "batch" => WriteMode.Batch,
        "single" => WriteMode.PerTrack,
        _ => null,
    };

    /// <summary>The WRITE_MODE spelling.</summary>
    public static string ToName(this WriteMode mode) => mode switch
    {
        WriteMode.Batch => "batch",
        WriteMode.PerTrack => "single",
        _ => "auto",
    };
}

/// <summary>What the dashboard shows about the write path: the mode in use and why, and the writes in flight.</summary>
/// <param name="Batched">Bulk edits are in use.</param>
/// <param name="Description">One line in words, e.g. "Batched writes, verified on this server".</param>
public sealed record WritePathStatus(bool Batched, string Description)
{
    /// <summary>Writes (or bulk edits) allowed in flight now: WRITE_CONCURRENCY, or the adaptive limit's current value.</summary>
    public int Concurrency { get; init; }

    /// <summary>WRITE_CONCURRENCY=auto: <see cref="Concurrency"/> follows Plex's latency.</summary>
    public bool ConcurrencyAuto { get; init; }

    /// <summary>The highest adaptive limit of the current (or last) run.</summary>
    public int PeakConcurrency { get; init; }
}

/// <summary>
/// The last thing the write path decided, for the dashboard. One per process; the writer sets it when a run
/// starts writing, when it changes its mind, and whenever the adaptive write concurrency moves.
/// </summary>
public sealed class WritePathState
{
    private readonly Lock _lock = new();
    private WritePathStatus? _path;
    private int _concurrency;
    private int _peak;
    private bool _auto;

    /// <summary>Null until a run wrote something.</summary>
    public WritePathStatus? Current
    {
        get
        {
            lock (_lock)
            {
                return _path is null ? null : _path with { Concurrency = _concurrency, ConcurrencyAuto = _auto, PeakConcurrency = _peak };
            }
        }
    }

    /// <summary>
    /// What the dashboard shows now: the current (or last) run's write path and concurrency, or, before the first run
    /// or after WRITE_CONCURRENCY changed since, what the settings will do.
    /// </summary>
    public WritePathStatus Show(StarSyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var auto = settings.WriteConcurrency == StarSyncSettings.AutoWriteConcurrency;
        lock (_lock)
        {
            var path = _path ?? BeforeFirstRun(settings.WriteMode);
            var sameKnob = _concurrency > 0 && (auto ? _auto : !_auto && _concurrency == settings.WriteConcurrency);
            return sameKnob
                ? path with { Concurrency = _concurrency, ConcurrencyAuto = _auto, PeakConcurrency = _peak }
                : path with { Concurrency = auto ? WriteLimiter.InitialLimit : settings.WriteConcurrency, ConcurrencyAuto = auto };
        }
    }

    internal void Set(WritePathStatus status)
    {
        lock (_lock)
        {
            _path = status;
        }
    }

    internal void StartRun(int concurrency, bool adaptive)
    {
        lock (_lock)
        {
            _concurrency = concurrency;
            _peak = concurrency;
            _auto = adaptive;
        }
    }

    internal void SetConcurrency(int concurrency, bool adaptive)
    {
        lock (_lock)
        {
            _concurrency = concurrency;
            _peak = Math.Max(_peak, concurrency);
            _auto = adaptive;
        }
    }

    /// <summary>What the dashboard says before a run has written anything.</summary>
    public static WritePathStatus BeforeFirstRun(WriteMode mode) => mode switch
    {
        WriteMode.PerTrack => new WritePathStatus(false, "One write per track (WRITE_MODE=single)"),
        WriteMode.Batch => new WritePathStatus(true, "Batched writes (WRITE_MODE=batch); every batch is read back"),
        _ => new WritePathStatus(false, "Write mode auto: decided at the first run's first write"),
    };
}

/// <summary>What auto mode learnt about one Plex server (machine identifier + version).</summary>
/// <param name="Server">machineIdentifier/version; a new Plex version is checked again.</param>
/// <param name="Bulk">Bulk edits set the value, leave no lock and nothing else.</param>
/// <param name="Reason">Why (shown on the dashboard).</param>
/// <param name="BulkClear">A bulk clear was seen to leave tracks unrated and unlocked; null = not tried yet.</param>
public sealed record WriteVerdict(string Server, bool Bulk, string Reason, bool? BulkClear);

/// <summary>
/// Keeps auto mode's verdicts per server in <c>CONFIG_DIR/write-verdicts.json</c>, so the probe runs once per server
/// and Plex version, not once per run. A missing or unreadable file just means "not verified yet".
/// </summary>
public sealed class WriteVerdictStore(StarSyncPaths paths)
{
    private readonly Lock _lock = new();

    private string File => Path.Combine(paths.ConfigDirectory, "write-verdicts.json");

    /// <summary>The verdict for <paramref name="server"/>, or null.</summary>
    public WriteVerdict? Get(string server)
    {
        lock (_lock)
        {
            return ReadAll().GetValueOrDefault(server);
        }
    }

    /// <summary>Stores (replaces) the verdict for its server.</summary>
    public void Save(WriteVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        lock (_lock)
        {
            var all = ReadAll();
            all[verdict.Server] = verdict;
            Directory.CreateDirectory(paths.ConfigDirectory);
            var temp = File + ".tmp";
            System.IO.File.WriteAllText(temp, JsonSerializer.Serialize(all));
            System.IO.File.Move(temp, File, overwrite: true);
        }
    }

    private Dictionary<string, WriteVerdict> ReadAll()
    {
        try
        {
            return System.IO.File.Exists(File)
                ? JsonSerializer.Deserialize<Dictionary<string, WriteVerdict>>(System.IO.File.ReadAllText(File)) ?? []
                : [];
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return [];
        }
    }
}
