namespace StarSync.Tests.Hosting;

/// <summary>
/// The one polling helper: checks a condition until it holds or a deadline passes, for effects of background loops
/// that have no signal to await. Never a fixed sleep; on timeout the message says what was awaited.
/// </summary>
internal static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, string what, int seconds = 30) =>
        TrueAsync(() => Task.FromResult(condition()), what, seconds);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int seconds = 30) =>
        await ValueAsync(condition, done => done, what, seconds);

    /// <summary>Probes until <paramref name="done"/> accepts the answer and returns that answer (e.g. a job that finished).</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int seconds = 30)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(seconds * (double)TimeProvider.System.TimestampFrequency);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                Assert.Fail($"Timed out after {seconds} s waiting for: {what} (last seen: {value})");
            }

            await Task.Delay(10);
        }
    }
}
