namespace StarSync.PlexEmulator;

/// <summary>
/// One request's modelled time (an <see cref="Microsoft.AspNetCore.Http.HttpContext"/> feature, set where its first
/// modelled wait begins). Each wait ends at a deadline counted from there: the sum of the modelled waits so far, not
/// the time the previous wait happened to wake the request up. A parallel-model write of 2 ms per request + 3 ms per
/// write is answered 5 ms after it came in, late only by its last wake-up; waited one after the other, each wait was
/// late by the timer thread and the thread pool (0.2–0.33 ms with 32 writes in flight on the 2-core bench machine), so
/// the write was served in ~5.6 ms and the model's limit could not be reached by any client. The single writer keeps
/// a schedule of its own (<see cref="EmulatorState.ReserveWriter"/>).
/// </summary>
internal sealed class ModelledSchedule(TimeProvider time)
{
    private long _due = time.GetTimestamp();

    /// <summary>Waits until this request's next modelled step, <paramref name="delay"/> after the last one ended (at once when that time has passed), and counts how late it went on.</summary>
    public async Task WaitAsync(TimeSpan delay, EmulatorCounters counters, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        _due += (long)(delay.TotalSeconds * time.TimestampFrequency);
        var left = time.GetElapsedTime(time.GetTimestamp(), _due);
        if (left > TimeSpan.Zero)
        {
            await EmulatorMiddleware.DelayAsync(left, time, cancellationToken);
        }

        counters.ModelledWaitServed(time.GetElapsedTime(_due));
    }

    /// <summary>Something outside the model held the request (a test's hook): the next step counts from now.</summary>
    public void Resume() => _due = Math.Max(_due, time.GetTimestamp());
}
