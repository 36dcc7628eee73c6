using Microsoft.Extensions.Time.Testing;
using StarSync.Rating;

namespace StarSync.Tests.Rating;

/// <summary>The adaptive write limiter's arithmetic (WRITE_CONCURRENCY=auto), on a fake clock: no real time passes.</summary>
[Trait("Category", "Unit")]
public sealed class WriteLimiterTests
{
    private readonly FakeTimeProvider _clock = new();

    /// <summary>Runs one window: <paramref name="count"/> writes taken together, each answered after <paramref name="latencyMs"/>.</summary>
    private async Task WindowAsync(WriteLimiter limiter, int count, double latencyMs, WriteSignal signal = WriteSignal.Answered)
    {
        var leases = new List<WriteLimiter.Lease>();
        // A window wider than the limit would wait for ever: fail instead (a safety deadline, not a timing).
        using var stuck = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = 0; i < count; i++)
        {
            leases.Add(await limiter.AcquireAsync(stuck.Token));
        }

        _clock.Advance(TimeSpan.FromMilliseconds(latencyMs));
        foreach (var lease in leases)
        {
            lease.Complete(signal);
        }
    }

    // Windows at the floor (10 ms), each taking every slot once, until the limit has reached at least limit.
    private async Task FlatWindowsUntilAsync(WriteLimiter limiter, int limit)
    {
        while (limiter.Limit < limit)
        {
            await WindowAsync(limiter, limiter.Limit, 10);
        }
    }

    [Fact]
    public async Task Starts_at_two_and_doubles_per_window_while_latency_stays_at_its_floor()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);

        Assert.Equal(2, limiter.Limit);
        // A window judges max(MinWindow, limit) answers; each round here takes every slot once.
        for (var round = 0; round < 50 && seen.Count < 4; round++)
        {
            await WindowAsync(limiter, limiter.Limit, 10);
        }

        // Slow start: a server that writes in parallel has its 32 writes in flight after four windows.
        Assert.Equal([4, 8, 16, 32], seen);
        Assert.Equal(10, limiter.FloorMilliseconds, 3);
    }

    [Fact]
    public async Task A_floor_under_a_millisecond_is_not_cut_for_the_clients_own_scheduling_noise()
    {
        // A test server answers in 0.2 ms; a loaded machine now and then returns a window at 1.5 ms (7.5x that floor),
        // which must not read as a queue at Plex: ratios are taken against at least NoiseFloorMs.
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await WindowAsync(limiter, 2, 0.2);
        await WindowAsync(limiter, 2, 0.2);
        Assert.Equal(4, limiter.Limit);
        Assert.Equal(0.2, limiter.FloorMilliseconds, 3);

        await WindowAsync(limiter, 4, 1.5); // off slow start's flat latency once: held, not cut
        Assert.Equal(4, limiter.Limit);
        await WindowAsync(limiter, 4, 0.2);
        Assert.Equal(8, limiter.Limit);

        // A real queue still shows: twice the noise floor and more is a cut, whatever the floor.
        await WindowAsync(limiter, 8, WriteLimiter.NoiseFloorMs * WriteLimiter.WellAboveFloor);
        Assert.Equal(6, limiter.Limit);
        Assert.Equal([4, 8, 6], seen);
    }

    [Fact]
    public async Task Once_latency_leaves_its_floor_it_grows_by_one_per_window()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await WindowAsync(limiter, 2, 10);
        await WindowAsync(limiter, 2, 10); // a window is at least MinWindow (4) answers
        await WindowAsync(limiter, 4, 10);
        Assert.True(limiter.SlowStart);

        await WindowAsync(limiter, 8, 17); // 1.7x: not near the floor any more; held (the client's own stall?)
        Assert.True(limiter.SlowStart);
        await WindowAsync(limiter, 8, 17); // twice in a row: held, and slow start is over
        Assert.False(limiter.SlowStart);
        for (var round = 0; round < 3; round++)
        {
            await WindowAsync(limiter, limiter.Limit, 10);
        }

        Assert.Equal([4, 8, 9, 10, 11], seen);
    }

    [Fact]
    public async Task A_small_rise_in_latency_ends_slow_start_and_the_limit_grows_by_one()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await WindowAsync(limiter, 2, 10);
        await WindowAsync(limiter, 2, 10);

        await WindowAsync(limiter, 4, 13); // 1.3x: still near the floor, but no longer flat: held
        Assert.Equal([4], seen);
        await WindowAsync(limiter, 4, 13); // again (a single writer's queue stays): slow start ends, one more slot

        Assert.False(limiter.SlowStart);
        Assert.Equal([4, 5], seen);
    }

    [Fact]
    public async Task A_latency_spike_in_slow_start_doubles_back_then_slow_start_goes_on_while_latency_is_flat()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, 16);

        await WindowAsync(limiter, 16, 30); // 3x the floor (the client's CPU busy with its first pages): cut to 12
        Assert.True(limiter.SlowStart);
        await WindowAsync(limiter, 12, 10); // flat again: back to 16
        await WindowAsync(limiter, 16, 10); // and on doubling, not 17, 18, ... one window at a time

        Assert.Equal([4, 8, 16, 12, 16, 32], seen);
    }

    [Fact]
    public async Task One_window_off_its_flat_latency_in_slow_start_holds_the_limit_and_the_next_flat_one_doubles_on()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, 8);

        await WindowAsync(limiter, 8, 13); // 1.3x once (the client busy listing its first pages): held
        await WindowAsync(limiter, 8, 10); // flat again: slow start goes on
        await WindowAsync(limiter, 16, 10);

        Assert.True(limiter.SlowStart);
        Assert.Equal([4, 8, 16, 32], seen);
    }

    [Fact]
    public async Task A_latency_spike_in_slow_start_ends_it_when_the_windows_after_it_are_not_flat()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, 16);

        await WindowAsync(limiter, 16, 30); // cut to 12
        await WindowAsync(limiter, 12, 13); // 1.3x: near the floor, not flat (a queue): back to 16, slow start over
        Assert.False(limiter.SlowStart);
        await WindowAsync(limiter, 16, 10);

        Assert.Equal([4, 8, 16, 12, 16, 17], seen);
    }

    [Fact]
    public async Task A_5xx_ends_slow_start()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await WindowAsync(limiter, 2, 10);
        await WindowAsync(limiter, 2, 10);
        await WindowAsync(limiter, 1, 10, WriteSignal.Overloaded); // halved at once

        while (seen.Count < 4)
        {
            await WindowAsync(limiter, limiter.Limit, 10);
        }

        Assert.False(limiter.SlowStart);
        Assert.Equal([4, 2, 3, 4], seen);
    }

    [Fact]
    public async Task Climbs_to_32_and_no_further_when_latency_never_moves()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);

        for (var round = 0; round < 200; round++)
        {
            await WindowAsync(limiter, limiter.Limit, 20);
        }

        Assert.Equal(WriteLimiter.MaxLimit, limiter.Limit);
    }

    [Fact]
    public async Task Latency_well_above_the_floor_cuts_the_limit_by_a_quarter()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);
        await FlatWindowsUntilAsync(limiter, 16);

        await WindowAsync(limiter, 16, 25); // 2.5x the floor

        Assert.Equal(12, limiter.Limit);
    }

    [Fact]
    public async Task After_a_latency_spike_windows_back_at_the_floor_double_the_limit_back_to_where_it_was()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, WriteLimiter.MaxLimit);

        await WindowAsync(limiter, 32, 25); // one window at 2.5x the floor (a burst of writes at once): cut to 24
        await WindowAsync(limiter, 24, 10); // the spike passed: straight back to 32, not 25
        await WindowAsync(limiter, 32, 10);

        Assert.Equal([4, 8, 16, 32, 24, 32], seen);
        Assert.True(limiter.SlowStart); // flat but for the spike: a cut for latency suspends slow start, it does not end it
    }

    [Fact]
    public async Task A_limit_cut_for_latency_doubles_back_only_up_to_where_it_was_then_grows_by_one()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, 8);

        await WindowAsync(limiter, 8, 13); // 1.3x: held
        await WindowAsync(limiter, 8, 13); // 1.3x again: slow start ends, the limit grows by one
        await WindowAsync(limiter, 9, 10);
        await WindowAsync(limiter, 10, 30); // 3x: cut by a quarter, from 10 to 7
        await WindowAsync(limiter, 7, 10); // back at the floor: doubling would give 14, but 10 is where it was
        await WindowAsync(limiter, 10, 10);

        Assert.Equal([4, 8, 9, 10, 7, 10, 11], seen);
    }

    [Fact]
    public async Task Latency_that_stays_off_the_floor_after_a_cut_gives_up_the_quick_way_back()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, 16);

        await WindowAsync(limiter, 16, 25); // cut to 12
        await WindowAsync(limiter, 12, 17); // 1.7x: held; one such window may still be the spike's tail
        await WindowAsync(limiter, 12, 17); // and again: still queueing at Plex, so no spike
        await WindowAsync(limiter, 12, 10);

        Assert.Equal([4, 8, 16, 12, 13], seen);
    }

    [Fact]
    public async Task A_spike_that_spans_two_windows_still_doubles_back_to_where_the_limit_was()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, WriteLimiter.MaxLimit);

        await WindowAsync(limiter, 32, 25); // cut to 24
        await WindowAsync(limiter, 24, 17); // the stall's tail: held
        await WindowAsync(limiter, 24, 10); // passed: back to 32, not 25

        Assert.Equal([4, 8, 16, 32, 24, 32], seen);
    }

    [Fact]
    public async Task A_5xx_cut_grows_back_by_one_not_by_doubling()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        await FlatWindowsUntilAsync(limiter, 16);

        (await limiter.AcquireAsync(CancellationToken.None)).Complete(WriteSignal.Overloaded); // 16 -> 8
        await WindowAsync(limiter, 8, 10);

        Assert.Equal([4, 8, 16, 8, 9], seen);
    }

    [Fact]
    public async Task Latency_between_near_and_well_above_the_floor_holds_the_limit()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);
        await FlatWindowsUntilAsync(limiter, 8);

        await WindowAsync(limiter, 8, 17); // 1.7x: neither near (<= 1.5x) nor well above (>= 2x)

        Assert.Equal(8, limiter.Limit);
    }

    [Fact]
    public async Task A_5xx_or_timeout_halves_the_limit_at_once_and_never_below_one()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);
        await FlatWindowsUntilAsync(limiter, 10);

        var lease = await limiter.AcquireAsync(CancellationToken.None);
        lease.Complete(WriteSignal.Overloaded);
        var afterOne = limiter.Limit;
        for (var i = 0; i < 10; i++)
        {
            (await limiter.AcquireAsync(CancellationToken.None)).Complete(WriteSignal.Overloaded);
        }

        Assert.Equal(8, afterOne); // slow start took it from 8 to 16
        Assert.Equal(1, limiter.Limit);
    }

    [Fact]
    public async Task Refusals_and_cancels_teach_it_nothing()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);

        for (var i = 0; i < 50; i++)
        {
            var lease = await limiter.AcquireAsync(CancellationToken.None);
            _clock.Advance(TimeSpan.FromSeconds(5));
            lease.Complete(WriteSignal.Ignored);
        }

        Assert.Equal(2, limiter.Limit);
        Assert.True(double.IsPositiveInfinity(limiter.FloorMilliseconds));
    }

    [Fact]
    public async Task A_single_writer_server_keeps_it_low()
    {
        // Every write in flight waits its turn at one writer of 3 ms, plus 2 ms of its own: latency = 2 + 3 x limit.
        var limiter = WriteLimiter.CreateAdaptive(_clock);
        var peak = 0;
        for (var round = 0; round < 300; round++)
        {
            var limit = limiter.Limit;
            peak = Math.Max(peak, limit);
            await WindowAsync(limiter, limit, 2 + (3.0 * limit));
        }

        Assert.InRange(limiter.Limit, 1, 5);
        Assert.InRange(peak, 2, 6);
    }

    [Fact]
    public async Task Answers_to_writes_sent_under_an_older_limit_are_not_judged()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);
        await FlatWindowsUntilAsync(limiter, 8);

        var old = new List<WriteLimiter.Lease>();
        for (var i = 0; i < 8; i++)
        {
            old.Add(await limiter.AcquireAsync(CancellationToken.None));
        }

        (await AcquireAfterReleaseAsync(limiter, old[0])).Complete(WriteSignal.Overloaded); // 8 -> 4
        _clock.Advance(TimeSpan.FromSeconds(1));
        foreach (var lease in old.Skip(1))
        {
            lease.Complete(WriteSignal.Answered); // 100x the floor, but sent under the old limit
        }

        Assert.Equal(4, limiter.Limit);
    }

    private static async Task<WriteLimiter.Lease> AcquireAfterReleaseAsync(WriteLimiter limiter, WriteLimiter.Lease held)
    {
        held.Complete(WriteSignal.Ignored);
        return await limiter.AcquireAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Waiters_get_slots_in_order_as_they_free_up_and_a_cancelled_waiter_takes_none()
    {
        var limiter = WriteLimiter.CreateFixed(_clock, 1);
        var first = await limiter.AcquireAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = limiter.AcquireAsync(cancel.Token).AsTask();
        var second = limiter.AcquireAsync(CancellationToken.None).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(second.IsCompleted);
        first.Complete(WriteSignal.Answered);
        var lease = await second.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, limiter.InFlight);
        lease.Dispose();
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task A_freed_slot_goes_to_the_earliest_turn_waiting_then_first_come_first_served()
    {
        var limiter = WriteLimiter.CreateFixed(_clock, 1);
        var held = await limiter.AcquireAsync(3, CancellationToken.None);
        var later = limiter.AcquireAsync(3, CancellationToken.None).AsTask();
        var earlierA = limiter.AcquireAsync(2, CancellationToken.None).AsTask();
        var earlierB = limiter.AcquireAsync(2, CancellationToken.None).AsTask();

        held.Complete(WriteSignal.Answered);
        var a = await earlierA.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(earlierB.IsCompleted);
        Assert.False(later.IsCompleted);
        a.Complete(WriteSignal.Answered);
        var b = await earlierB.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(later.IsCompleted);
        b.Complete(WriteSignal.Answered);
        (await later.WaitAsync(TimeSpan.FromSeconds(30))).Dispose();
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task A_kept_slot_stays_with_its_holder_unless_an_earlier_turn_waits_or_the_limit_has_no_room()
    {
        var limiter = WriteLimiter.CreateFixed(_clock, 1);
        var lease = await limiter.AcquireAsync(2, CancellationToken.None);
        // A later turn waiting does not take the slot from the page ahead of it.
        var later = limiter.AcquireAsync(3, CancellationToken.None).AsTask();
        var kept = lease.CompleteAndKeep(WriteSignal.Answered, 2);
        Assert.NotNull(kept);
        Assert.Equal(1, limiter.InFlight);
        Assert.False(later.IsCompleted);
        // Completed once: a second end of the same lease gives nothing back and keeps nothing.
        Assert.Null(lease.CompleteAndKeep(WriteSignal.Answered, 2));
        Assert.Equal(1, limiter.InFlight);

        // An earlier turn waiting gets it.
        var earlier = limiter.AcquireAsync(1, CancellationToken.None).AsTask();
        Assert.Null(kept.CompleteAndKeep(WriteSignal.Answered, 2));
        var second = await earlier.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, limiter.InFlight);
        Assert.False(later.IsCompleted);
        second.Complete(WriteSignal.Answered);
        (await later.WaitAsync(TimeSpan.FromSeconds(30))).Dispose();
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task A_kept_slot_is_given_back_when_the_limit_drops_below_the_writes_in_flight_and_still_teaches_the_limit()
    {
        var limiter = WriteLimiter.CreateAdaptive(_clock);
        var first = await limiter.AcquireAsync(1, CancellationToken.None);
        var second = await limiter.AcquireAsync(1, CancellationToken.None);
        Assert.Equal(2, limiter.Limit);

        // A 5xx halves the limit to 1 with two in flight: this one goes back instead of being kept.
        Assert.Null(first.CompleteAndKeep(WriteSignal.Overloaded, 1));
        Assert.Equal(1, limiter.Limit);
        Assert.Equal(1, limiter.InFlight);
        // At the limit (one in flight, limit 1) the holder keeps it.
        var kept = second.CompleteAndKeep(WriteSignal.Ignored, 1);
        Assert.NotNull(kept);
        Assert.Equal(1, limiter.InFlight);
        kept.Dispose();
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task Answers_of_kept_slots_are_samples_like_any_other()
    {
        var seen = new List<int>();
        var limiter = WriteLimiter.CreateAdaptive(_clock, seen.Add);
        var leases = new List<WriteLimiter.Lease> { await limiter.AcquireAsync(1, CancellationToken.None), await limiter.AcquireAsync(1, CancellationToken.None) };
        // Two holders each writing back to back on their kept slot: one window of four answers at the floor doubles the limit.
        for (var round = 0; round < 2; round++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            leases = leases.Select(l => l.CompleteAndKeep(WriteSignal.Answered, 1)!).ToList();
        }

        Assert.Equal([4], seen);
        Assert.Equal(2, limiter.InFlight);
        leases.ForEach(l => l.Dispose());
    }

    [Fact]
    public async Task A_fixed_limit_never_moves()
    {
        var limiter = WriteLimiter.CreateFixed(_clock, 4);

        for (var round = 0; round < 20; round++)
        {
            await WindowAsync(limiter, 4, round % 2 == 0 ? 5 : 500);
        }

        (await limiter.AcquireAsync(CancellationToken.None)).Complete(WriteSignal.Overloaded);
        Assert.Equal(4, limiter.Limit);
        Assert.False(limiter.Adaptive);
    }
}
