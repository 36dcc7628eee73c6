using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using StarSync.Journal;

namespace StarSync.Jobs;

/// <summary>
/// One job at a time across processes: the web app and a CLI run from cron share the journal and take this lease in
/// it before running a job or recovering. The holder is named "machine/pid/start/instance", so a lease left by a
/// killed process on this machine is recognised at once (its process is gone, or the pid now belongs to a process
/// started later) instead of blocking everyone until it expires; a holder elsewhere is trusted until its heartbeat
/// (the expiry it keeps pushing forward) is stale.
/// </summary>
public sealed partial class RunnerLease : IDisposable
{
    /// <summary>Instances alive in this process (tests run a "web app" and a "CLI" side by side in one process).</summary>
    private static readonly ConcurrentDictionary<string, byte> s_liveInstances = new(StringComparer.Ordinal);

    private readonly JournalStore _journal;
    private readonly ILogger<RunnerLease> _logger;
    private readonly string _instance = Guid.NewGuid().ToString("N");

    /// <summary>Creates this process's lease identity.</summary>
    public RunnerLease(JournalStore journal, ILogger<RunnerLease> logger)
    {
        _journal = journal;
        _logger = logger;
        Holder = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{s_processStart}/{_instance}");
        s_liveInstances[_instance] = 0;
    }

    /// <summary>How long the lease lasts without renewal; a holder on another machine that died blocks others at most this long.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(60);

    /// <summary>How often a holder renews it.</summary>
    public static readonly TimeSpan RenewEvery = Ttl / 3;

    private static readonly long s_processStart = ProcessStartMilliseconds(Environment.ProcessId) ?? 0;

    /// <summary>This process's name in the lease.</summary>
    public string Holder { get; }

    /// <summary>Takes or renews the lease; takes it over from a dead holder on this machine. False while a live process holds it.</summary>
    public async Task<bool> TryAcquireAsync(CancellationToken cancellationToken)
    {
        if (await _journal.TryAcquireLeaseAsync(Holder, Ttl, cancellationToken))
        {
            return true;
        }

        var other = await _journal.GetLeaseHolderAsync(cancellationToken);
        if (other is null || !IsDeadHolder(other))
        {
            return false;
        }

        if (await _journal.TakeOverLeaseAsync(other, Holder, Ttl, cancellationToken))
        {
            LogTakenOver(other);
            return true;
        }

        return false;
    }

    /// <summary>Gives the lease back, if this process has it.</summary>
    public Task ReleaseAsync(CancellationToken cancellationToken) => _journal.ReleaseLeaseAsync(Holder, cancellationToken);

    /// <summary>
    /// True when <paramref name="holder"/> names a process of this machine that no longer runs: its pid is gone, or
    /// belongs to a process started at another time (pid reuse, a container restarted with pid 1 again).
    /// </summary>
    public bool IsDeadHolder(string holder)
    {
        var parts = holder.Split('/');
        if (parts.Length < 4 || s_liveInstances.ContainsKey(parts[^1]) ||
            !string.Equals(string.Join('/', parts[..^3]), Environment.MachineName, StringComparison.OrdinalIgnoreCase) ||
            !int.TryParse(parts[^3], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !long.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var started))
        {
            // Another machine (or an older format without the start time): only the heartbeat can tell.
            return false;
        }

        if (pid == Environment.ProcessId)
        {
            return true; // not an instance of this process (checked above), so an earlier process that had our pid
        }

        var now = ProcessStartMilliseconds(pid);
        // Start times are read from /proc at a clock-tick resolution: a second apart means another process.
        return now is null || (started != 0 && now.Value != 0 && Math.Abs(now.Value - started) > 1000);
    }

    /// <summary>When process <paramref name="pid"/> started (Unix ms), or null when there is no such process.</summary>
    private static long? ProcessStartMilliseconds(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return null;
            }

            try
            {
                return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                return 0; // alive, start unknown
            }
        }
        catch (ArgumentException)
        {
            return null; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => s_liveInstances.TryRemove(_instance, out _);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "The runner lease was held by {Holder}, a StarSync process on this machine that no longer runs; taken over")]
    private partial void LogTakenOver(string holder);
}
