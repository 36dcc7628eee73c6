using Microsoft.Extensions.Time.Testing;
using StarSync.Jobs;

namespace StarSync.Tests.Jobs;

/// <summary>The ETA the progress bar shows: the whole job's remaining work at the recent pace, not the pace since the start.</summary>
[Trait("Category", "Unit")]
public sealed class RecentRateTests
{
    [Fact]
    public void Eta_is_the_whole_jobs_remaining_work_at_the_pace_of_the_last_30_seconds()
    {
        var time = new FakeTimeProvider();
        var rate = new RecentRate(time);

        Assert.Null(rate.Sample(done: 0, writes: 0, total: 1000, totalKnown: true).EtaSeconds);
        time.Advance(TimeSpan.FromSeconds(10));
        // 100 tracks in 10 s: 900 left at 10 a second.
        Assert.Equal((10.0, (double?)90.0), rate.Sample(done: 100, writes: 100, total: 1000, totalKnown: true));
        time.Advance(TimeSpan.FromSeconds(30));
        // Then 600 in 30 s: the first 10 s fall out of the window, so the pace is 20 a second (not 17.5 since the start).
        Assert.Equal((20.0, (double?)15.0), rate.Sample(done: 700, writes: 700, total: 1000, totalKnown: true));
        // 5 s later: 100 more tracks looked at (skips: no writes) are work done too, and the ETA covers what is left of
        // the whole job (a second library's 2,100 tracks included): 2,300 at 20 a second.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((0.0, (double?)115.0), rate.Sample(done: 800, writes: 700, total: 3100, totalKnown: true));
        Assert.Null(rate.Sample(done: 800, writes: 700, total: 3100, totalKnown: false).EtaSeconds);
    }
}
