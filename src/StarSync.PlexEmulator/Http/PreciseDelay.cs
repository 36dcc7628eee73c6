using System.Diagnostics;
using System.Runtime.InteropServices;

namespace StarSync.PlexEmulator;

/// <summary>
/// The emulator's modelled latency, kept to the specified time. <see cref="Task.Delay(TimeSpan)"/> waits on a timer
/// queue whose clock ticks coarsely on Linux: a 2 ms delay took ~4 ms on the bench machine (docs/benchmarks.md,
/// "Performance findings" 1), so "2 ms per request" meant 4. Here every wait is a deadline in one queue, served by one
/// dedicated thread that sleeps with <c>nanosleep</c> in steps of at most <see cref="MaxStep"/> and completes each wait
/// within ~0.2–0.5 ms of its deadline. It never spins: between steps the thread sleeps, and with nothing to wait for
/// it blocks. Where <c>nanosleep</c> is not available it falls back to <see cref="Monitor.Wait(object, int)"/> (1 ms
/// granularity).
/// </summary>
internal sealed class PreciseDelay
{
    /// <summary>Longest single sleep: a wait added meanwhile with an earlier deadline is late by at most this.</summary>
    public static readonly TimeSpan MaxStep = TimeSpan.FromMilliseconds(0.25);

    private static readonly Lazy<PreciseDelay> s_shared = new(() => new PreciseDelay());

    private readonly Lock _gate = new();
    private readonly PriorityQueue<TaskCompletionSource, long> _due = new();
    private readonly object _signal = new();
    private bool _nativeSleep = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    private PreciseDelay()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "emulator-latency", Priority = ThreadPriority.AboveNormal };
        thread.Start();
    }

    /// <summary>The one scheduler of the process (its thread lives as long as the process).</summary>
    public static PreciseDelay Shared => s_shared.Value;

    /// <summary>Completes after <paramref name="delay"/> (never earlier), or is cancelled.</summary>
    public Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        bool earliest;
        lock (_gate)
        {
            earliest = !_due.TryPeek(out _, out var first) || due < first;
            _due.Enqueue(waiter, due);
        }

        if (earliest)
        {
            lock (_signal)
            {
                Monitor.Pulse(_signal);
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            // A cancelled wait stays in the queue until its deadline; completing it then does nothing.
            var registration = cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter);
            waiter.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Task;
    }

    private void Run()
    {
        while (true)
        {
            long next;
            lock (_gate)
            {
                var now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var waiter, out var due) && due <= now)
                {
                    _due.Dequeue();
                    waiter.TrySetResult();
                }

                next = _due.TryPeek(out _, out var first) ? first : long.MaxValue;
            }

            if (next == long.MaxValue)
            {
                lock (_signal)
                {
                    // Re-checked under the signal's lock: a wait added since is pulsed after it is queued.
                    bool empty;
                    lock (_gate)
                    {
                        empty = _due.Count == 0;
                    }

                    if (empty)
                    {
                        Monitor.Wait(_signal);
                    }
                }

                continue;
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            _ = Sleep(remaining < MaxStep ? remaining : MaxStep);
        }
    }

    /// <summary>Sleeps about <paramref name="span"/>; false when a signal ended it early (the loop then just looks again).</summary>
    private bool Sleep(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return true;
        }

        if (_nativeSleep)
        {
            try
            {
                var request = new Native.Timespec { Seconds = 0, Nanoseconds = (long)(span.TotalMilliseconds * 1_000_000) };
                return Native.NanoSleep(ref request, IntPtr.Zero) == 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _nativeSleep = false;
            }
        }

        lock (_signal)
        {
            Monitor.Wait(_signal, 1);
        }

        return true;
    }

    private static class Native
    {
        [StructLayout(LayoutKind.Sequential)]
        public struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "nanosleep")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int NanoSleep(ref Timespec request, IntPtr remaining);
    }
}
