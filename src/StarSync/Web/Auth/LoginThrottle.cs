using System.Net;

namespace StarSync.Web.Auth;

/// <summary>
/// Counts failed logins per client address: <see cref="MaxFailures"/> within <see cref="Window"/> blocks further
/// attempts from that address until the oldest of them leaves the window. On top of that, <see cref="MaxGlobalFailures"/>
/// failures from all addresses together block every login attempt for a while, so that a guesser who can use many
/// addresses (IPv6, a LAN full of devices) gains nothing. IPv6 addresses count per /64, the block a home gets.
/// In memory only; a restart forgets.
/// </summary>
public sealed class LoginThrottle(TimeProvider timeProvider)
{
    /// <summary>Failures allowed within <see cref="Window"/>.</summary>
    public const int MaxFailures = 5;

    /// <summary>Failures from all addresses together allowed within <see cref="Window"/>.</summary>
    public const int MaxGlobalFailures = 30;

    /// <summary>The sliding window failures are counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    // Bounds memory when many addresses fail: beyond this, expired entries are swept on the next failure.
    private const int SweepThreshold = 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _allFailures = new();

    /// <summary>How long <paramref name="address"/> must still wait, or null when it may try to log in.</summary>
    public TimeSpan? RetryAfter(IPAddress? address) => Check(address)?.Wait;

    /// <summary>Which limit blocks <paramref name="address"/> now and for how long, or null when it may try to log in.</summary>
    public LoginBlock? Check(IPAddress? address)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            Expire(_allFailures, now);
            if (_allFailures.Count >= MaxGlobalFailures)
            {
                return new LoginBlock(LoginBlockScope.Everyone, _allFailures.Peek() + Window - now);
            }

            if (!_failures.TryGetValue(Key(address), out var times))
            {
                return null;
            }

            Expire(times, now);
            return times.Count >= MaxFailures ? new LoginBlock(LoginBlockScope.Address, times.Peek() + Window - now) : null;
        }
    }

    /// <summary>Records a failed login from <paramref name="address"/>.</summary>
    public void RecordFailure(IPAddress? address)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (_failures.Count >= SweepThreshold)
            {
                foreach (var (key, queue) in _failures.ToList())
                {
                    Expire(queue, now);
                    if (queue.Count == 0)
                    {
                        _failures.Remove(key);
                    }
                }
            }

            var addressKey = Key(address);
            if (!_failures.TryGetValue(addressKey, out var times))
            {
                _failures[addressKey] = times = new Queue<DateTimeOffset>();
            }

            Expire(times, now);
            times.Enqueue(now);
            while (times.Count > MaxFailures)
            {
                times.Dequeue();
            }

            Expire(_allFailures, now);
            _allFailures.Enqueue(now);
            while (_allFailures.Count > MaxGlobalFailures)
            {
                _allFailures.Dequeue();
            }
        }
    }

    /// <summary>Forgets the failures of <paramref name="address"/> after a successful login.</summary>
    public void Reset(IPAddress? address)
    {
        lock (_lock)
        {
            _failures.Remove(Key(address));
        }
    }

    private static void Expire(Queue<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.Count > 0 && times.Peek() + Window <= now)
        {
            times.Dequeue();
        }
    }

    private static string Key(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            // A home gets a whole /64: counting single addresses would give a guesser 2^64 fresh starts.
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }
}

/// <summary>Which limit refused a login.</summary>
public enum LoginBlockScope
{
    /// <summary>Too many failures from this address (IPv6: its /64).</summary>
    Address,

    /// <summary>Too many failures from all addresses together: every login waits (sessions and the API key keep working).</summary>
    Everyone,
}

/// <summary>A refused login: which limit, and how long until a login may be tried again.</summary>
public sealed record LoginBlock(LoginBlockScope Scope, TimeSpan Wait);
