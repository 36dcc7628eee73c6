using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace StarSync.Tests.Emulator;

/// <summary>Seeded faults and latency, limited to routes when asked, and the counters that record them.</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorFaultTests
{
    private static string Rate(string key) => $"/:/rate?key={key}&identifier=com.plexapp.plugins.library&rating=4";

    [Fact]
    public async Task Server_errors_hit_only_the_listed_routes_and_are_counted()
    {
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.Faults.ServerErrorRate = 1;
            o.Faults.Routes = ["/:/rate"];
        });
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[0];

        var rate = await client.StatusOfAsync(HttpMethod.Put, Rate(key));
        var list = await client.StatusOfAsync(HttpMethod.Get, "/library/sections");

        Assert.Equal(500, rate);
        Assert.Equal(200, list);
        Assert.Equal(1, server.Counters.ServerErrorsInjected);
        Assert.Equal(0, server.Counters.RatingWrites);
    }

    [Fact]
    public async Task Error_rate_is_seeded_and_roughly_the_share_asked_for()
    {
        async Task<int[]> RunAsync()
        {
            await using var server = await EmulatorTestHost.StartAsync(o => { o.Faults.ServerErrorRate = 0.3; o.Faults.Seed = 42; });
            using var client = EmulatorTestHost.Client(server);
            var statuses = new int[200];
            for (var i = 0; i < statuses.Length; i++)
            {
                statuses[i] = await client.StatusOfAsync(HttpMethod.Get, "/identity");
            }

            Assert.Equal(statuses.Count(s => s == 500), server.Counters.ServerErrorsInjected);
            return statuses;
        }

        var first = await RunAsync();
        var second = await RunAsync();

        Assert.Equal(first, second);
        Assert.InRange(first.Count(s => s == 500), 35, 85);
    }

    [Fact]
    public async Task Dropped_connection_fails_the_request_on_the_client()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.Faults.DropConnectionRate = 1);
        using var client = EmulatorTestHost.Client(server);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/library/sections", CancellationToken.None));

        Assert.Equal(1, server.Counters.ConnectionsDropped);
    }

    [Fact]
    public async Task Revoked_token_gets_401_everywhere_a_token_is_checked_until_restored_and_identity_stays_open()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        using var client = EmulatorTestHost.Client(server);

        server.Options.Faults.RevokeToken = true;
        var revoked = await client.StatusOfAsync(HttpMethod.Get, "/library/sections");
        var identity = await client.StatusOfAsync(HttpMethod.Get, "/identity");
        server.Options.Faults.RevokeToken = false;
        var restored = await client.StatusOfAsync(HttpMethod.Get, "/library/sections");

        Assert.Equal(401, revoked);
        Assert.Equal(200, identity); // /identity needs no token on a real server (plex-api.md §3)
        Assert.Equal(200, restored);
    }

    [Fact]
    public async Task Slow_response_waits_on_the_time_provider()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(55));
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.Faults.SlowResponseRate = 1;
            o.Faults.SlowResponseDelay = TimeSpan.FromSeconds(30);
        });
        using var client = EmulatorTestHost.Client(server);

        var pending = client.StatusOfAsync(HttpMethod.Get, "/library/sections");
        await Eventually.TrueAsync(() => server.Counters.SlowResponsesInjected == 1, "the slow response started");
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(200, await pending);
    }

    [Fact]
    public async Task A_parallel_write_is_answered_per_request_plus_write_latency_after_it_came_in_however_late_its_first_wait_woke()
    {
        var time = new TimerCountingClock();
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.HandRatedShare = 0;
            o.Latency.PerRequest = TimeSpan.FromSeconds(2);
            o.Latency.PerRatingWrite = TimeSpan.FromSeconds(3);
        });
        using var client = EmulatorTestHost.Client(server);

        var write = client.StatusOfAsync(HttpMethod.Put, Rate(server.Library.TrackKeys("1")[0]));
        await Eventually.TrueAsync(() => time.Timers == 1, "the request's 2 s wait is armed");
        time.Advance(TimeSpan.FromSeconds(4)); // that wait wakes 2 s late
        await Eventually.TrueAsync(() => time.Timers == 2, "the write's wait is armed");
        time.Advance(TimeSpan.FromSeconds(1)); // 5 s after the request came in: 2 s + 3 s, not 4 s + 3 s

        Assert.Equal(200, await write.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, server.Counters.RatingWrites);
        Assert.Equal(TimeSpan.FromSeconds(1), server.Counters.MeanModelledLateness); // 2 s late, then on time: 1 s a wait
    }

    /// <summary>A fake clock that counts the timers armed on it (each modelled wait arms one).</summary>
    private sealed class TimerCountingClock() : FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(55))
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref _timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Fact]
    public async Task Serialized_writes_hold_one_lock_for_the_write_latency()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(55));
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.HandRatedShare = 0;
            o.Latency.PerRatingWrite = TimeSpan.FromSeconds(1);
            o.Latency.SerializeWrites = true;
        });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(3).ToArray();

        var writes = keys.Select(k => client.StatusOfAsync(HttpMethod.Put, Rate(k))).ToArray();
        await Eventually.TrueAsync(() => server.Counters.CurrentRequests == 3, "three writes are in flight");
        // Each second of (fake) time lets at most one write through the single writer. A write whose delay was
        // not armed yet when time moved simply finishes on a later step, so step until all are done.
        for (var steps = 0; server.Counters.RatingWrites < 3; steps++)
        {
            Assert.True(steps < 200, "writes never finished");
            var before = server.Counters.RatingWrites;
            time.Advance(TimeSpan.FromSeconds(1));
            var deadline = Environment.TickCount64 + 100;
            while (server.Counters.RatingWrites == before && Environment.TickCount64 < deadline)
            {
                await Task.Delay(2);
            }

            Assert.InRange(server.Counters.RatingWrites - before, 0, 1);
        }

        Assert.All(await Task.WhenAll(writes), s => Assert.Equal(200, s));
        Assert.Equal(3, server.Counters.PeakConcurrentRequests);
    }

    [Fact]
    public async Task Scripted_faults_hit_exactly_the_next_matching_requests()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0);
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[0];
        server.Options.Faults.FailNext("PUT", "/library/sections/", 2, StarSync.PlexEmulator.ScriptedFault.ServerError);
        server.Options.Faults.FailNext("GET", "/library/metadata/", 1, StarSync.PlexEmulator.ScriptedFault.DropConnection);
        var bulk = $"/library/sections/1/all?type=10&id={key}&userRating.value=4";

        var listing = await client.StatusOfAsync(HttpMethod.Get, "/library/sections/1/all?type=10"); // a GET: not scripted
        var first = await client.StatusOfAsync(HttpMethod.Put, bulk);
        var second = await client.StatusOfAsync(HttpMethod.Put, bulk);
        var third = await client.StatusOfAsync(HttpMethod.Put, bulk);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("/library/metadata/" + key, UriKind.Relative)));
        var read = await client.StatusOfAsync(HttpMethod.Get, "/library/metadata/" + key);

        Assert.Equal([200, 500, 500, 200, 200], new[] { listing, first, second, third, read });
        Assert.Equal(0, server.Options.Faults.ScriptedFaultsLeft);
        Assert.Equal(2, server.Counters.ServerErrorsInjected);
        Assert.Equal(1, server.Counters.ConnectionsDropped);
        Assert.Equal(4.0, server.Library.GetUserRating(key));
    }

    [Fact]
    public async Task Writer_busy_time_is_the_sum_of_the_modelled_write_costs()
    {
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.HandRatedShare = 0;
            o.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(3);
            o.Latency.PerRatedItem = TimeSpan.FromMilliseconds(0.5);
            o.Latency.SerializeWrites = true;
        });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(4).ToArray();

        var single = client.StatusOfAsync(HttpMethod.Put, Rate(keys[0]));
        var bulk = client.StatusOfAsync(HttpMethod.Put, $"/library/sections/1/all?type=10&id={string.Join(',', keys[1..])}&userRating.value=4");

        Assert.Equal(200, await single);
        Assert.Equal(200, await bulk);
        // (3 + 1 x 0.5) + (3 + 3 x 0.5) ms
        Assert.Equal(8.0, server.Counters.WriterBusy.TotalMilliseconds, 6);
        server.Counters.Reset();
        Assert.Equal(TimeSpan.Zero, server.Counters.WriterBusy);
    }

    [Fact]
    public async Task Counters_record_route_templates_and_reset()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[0];

        await client.StatusOfAsync(HttpMethod.Get, "/library/sections/1/all?type=10");
        await client.StatusOfAsync(HttpMethod.Get, "/library/sections/1/all?type=9");
        await client.StatusOfAsync(HttpMethod.Put, Rate(key));
        await client.StatusOfAsync(HttpMethod.Get, "/library/metadata/" + key);

        var byRoute = server.Counters.RequestsByRoute;
        Assert.Equal(2, byRoute["/library/sections/{id}/all"]);
        Assert.Equal(1, byRoute["/:/rate"]);
        Assert.Equal(1, byRoute["/library/metadata/{ids}"]);
        Assert.Equal(4, server.Counters.Requests);
        Assert.Equal(1, server.Counters.RatingWrites);
        server.Counters.Reset();
        Assert.Equal(0, server.Counters.Requests);
        Assert.Empty(server.Counters.RequestsByRoute);
    }
}
