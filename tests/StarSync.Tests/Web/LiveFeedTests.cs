using Microsoft.Extensions.Time.Testing;
using StarSync.LiveLog;

namespace StarSync.Tests.Web;

[Trait("Category", "Unit")]
public sealed class LiveFeedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly LiveFeed _feed = new(new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void Snapshot_keeps_the_last_500_lines_in_order()
    {
        for (var i = 0; i < LiveFeed.Capacity + 20; i++)
        {
            _feed.Append("Information", "StarSync", "line " + i, null);
        }

        var snapshot = _feed.Snapshot();

        Assert.Equal(LiveFeed.Capacity, snapshot.Count);
        Assert.Equal("line 20", snapshot[0].Message);
        Assert.Equal("line 519", snapshot[^1].Message);
        Assert.True(snapshot.Zip(snapshot.Skip(1)).All(p => p.First.Id + 1 == p.Second.Id));
    }

    [Fact]
    public async Task Watch_replays_after_the_given_id_then_yields_live_lines_without_duplicates()
    {
        var first = _feed.Append("Information", "StarSync", "one", null);
        _feed.Append("Information", "StarSync", "two", null);
        using var cts = new CancellationTokenSource(Timeout);

        await using var watch = _feed.WatchAsync(first.Id, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        var replayed = watch.Current;
        _feed.Append("Information", "StarSync", "three", null);
        _feed.Publish(LiveEventTypes.Job, new { Id = 1 });
        Assert.True(await watch.MoveNextAsync());
        var live = watch.Current;
        Assert.True(await watch.MoveNextAsync());
        var job = watch.Current;

        Assert.Equal("two", ((LiveLogEntry)replayed.Payload).Message);
        Assert.Equal("three", ((LiveLogEntry)live.Payload).Message);
        Assert.Equal(LiveEventTypes.Job, job.EventType);
        Assert.Null(job.Id);
    }

    [Fact]
    public async Task Watch_with_an_id_from_a_previous_run_replays_everything()
    {
        _feed.Append("Information", "StarSync", "one", null);
        using var cts = new CancellationTokenSource(Timeout);

        await using var watch = _feed.WatchAsync(long.MaxValue - 1, cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal("one", ((LiveLogEntry)watch.Current.Payload).Message);
    }

    [Fact]
    public async Task Watch_unsubscribes_when_the_client_goes_away()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var enumerator = _feed.WatchAsync(null, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = enumerator.MoveNextAsync();
        Assert.Equal(1, _feed.SubscriberCount);

        await cts.CancelAsync();

        Assert.False(await next);
        await enumerator.DisposeAsync();
        Assert.Equal(0, _feed.SubscriberCount);
    }

    [Fact]
    public void Ids_start_from_the_clock_so_they_keep_growing_across_restarts()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var before = new LiveFeed(time).Append("Information", "StarSync", "x", null).Id;
        time.Advance(TimeSpan.FromSeconds(1));

        var after = new LiveFeed(time).Append("Information", "StarSync", "x", null).Id;

        Assert.True(after > before);
        Assert.True(after < (1L << 53), "ids must stay exact in JavaScript");
    }
}
