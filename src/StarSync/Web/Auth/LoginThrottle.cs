using System.Net;

namespace StarSync.Web.Auth;

/// <summary>
/// Counts failed logins per client address: <see cref="MaxFailures"/> within <see cref="Window"/> blocks further
/// attempts from that address until the oldest of them leaves the window. In memory only; a restart forgets.
/// </summary>
public sealed class LoginThrottle(TimeProvider timeProvider)
{
    /// <summary>Failures allowed within <see cref="Window"/>.</summary>
    public const int MaxFailures = 5;

    /// <summary>The sliding window failures are counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    // Bounds memory when many addresses fail: beyond this, expired entries are swept on the next failure.
    private const int SweepThreshold = 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>How long <paramref name="address"/> must still wait, or null when it may try to log in.</summary>
    public TimeSpan? RetryAfter(IPAddress? address)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_failures.TryGetValue(Key(address), out var times))
            {
                return null;
            }

            Expire(times, now);
            return times.Count >= MaxFailures ? times.Peek() + Window - now : null;
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

    private static string Key(IPAddress? address) =>
        address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
