using System.Diagnostics;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Emulator;

/// <summary>The bulk edit and the single-writer cost model (plex-api.md §7, issue 11).</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorBulkEditTests
{
    private static string Bulk(IEnumerable<string> keys, string value, string extra = "") =>
        $"/library/sections/1/all?type=10&id={string.Join(",", keys)}&userRating.value={value}{extra}";

    [Fact]
    public async Task Bulk_edit_without_a_lock_sets_the_owner_rating_and_leaves_the_field_unlocked()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0);
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(5).ToArray();

        var status = await client.StatusOfAsync(HttpMethod.Put, Bulk(keys, "6"));
        var track = (await client.GetXmlAsync("/library/metadata/" + keys[0])).Element("Track")!;

        Assert.Equal(200, status);
        Assert.All(keys, k => Assert.Equal(6.0, server.Library.GetUserRating(k)));
        Assert.All(keys, k => Assert.False(server.Library.IsRatingLocked(k)));
        Assert.Null(track.Element("Field"));
        Assert.Equal(1, server.Counters.WriteRequests);
        Assert.Equal(5, server.Counters.RatingWrites);
    }

    [Fact]
    public async Task Bulk_clear_with_locked_0_leaves_the_track_unrated_and_unlocked()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0);
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(2).ToArray();
        await client.StatusOfAsync(HttpMethod.Put, Bulk(keys, "8", "&userRating.locked=1"));

        var status = await client.StatusOfAsync(HttpMethod.Put, Bulk(keys, "", "&userRating.locked=0"));

        Assert.Equal(200, status);
        Assert.All(keys, k => Assert.Null(server.Library.GetUserRating(k)));
        Assert.All(keys, k => Assert.False(server.Library.IsRatingLocked(k)));
    }

    [Fact]
    public async Task Bulk_edit_with_a_shared_user_token_is_403_and_changes_nothing()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.HandRatedShare = 0; o.UserTokens.Add("friend-token"); });
        using var friend = EmulatorTestHost.Client(server, "friend-token");
        var keys = server.Library.TrackKeys("1").Take(2).ToArray();

        var status = await friend.StatusOfAsync(HttpMethod.Put, Bulk(keys, "6"));
        var rate = await friend.StatusOfAsync(HttpMethod.Put, $"/:/rate?key={keys[0]}&identifier=com.plexapp.plugins.library&rating=4");

        Assert.Equal(403, status);
        Assert.Equal(200, rate);
        Assert.Equal(4.0, server.Library.GetUserRating(keys[0], "friend-token"));
        Assert.Null(server.Library.GetUserRating(keys[1], "friend-token"));
        Assert.All(keys, k => Assert.Null(server.Library.GetUserRating(k)));
    }

    [Fact]
    public async Task Refuse_option_gives_the_owner_403_too()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.HandRatedShare = 0; o.BulkEdit.Refuse = true; });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(2).ToArray();

        Assert.Equal(403, await client.StatusOfAsync(HttpMethod.Put, Bulk(keys, "6")));
        Assert.All(keys, k => Assert.Null(server.Library.GetUserRating(k)));
    }

    [Fact]
    public async Task Ignore_option_answers_200_and_changes_nothing()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.HandRatedShare = 0; o.BulkEdit.Ignore = true; });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(3).ToArray();

        Assert.Equal(200, await client.StatusOfAsync(HttpMethod.Put, Bulk(keys, "6")));
        Assert.All(keys, k => Assert.Null(server.Library.GetUserRating(k)));
        Assert.Equal(0, server.Counters.RatingWrites);
    }

    [Fact]
    public async Task AlwaysLock_option_locks_the_field_without_being_asked()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.HandRatedShare = 0; o.BulkEdit.AlwaysLock = true; });
        using var client = EmulatorTestHost.Client(server, json: true);
        var keys = server.Library.TrackKeys("1").Take(1).ToArray();

        await client.StatusOfAsync(HttpMethod.Put, Bulk(keys, "6"));
        var item = (await client.GetJsonAsync("/library/metadata/" + keys[0])).GetProperty("Metadata")[0];

        Assert.True(server.Library.IsRatingLocked(keys[0]));
        Assert.Equal("userRating", item.GetProperty("Field")[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(UrlTooLongAnswer.Status414, 414)]
    [InlineData(UrlTooLongAnswer.Status400, 400)]
    public async Task A_url_over_the_bound_is_refused_with_the_configured_status_and_a_shorter_one_passes(UrlTooLongAnswer answer, int expected)
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.HandRatedShare = 0; o.MaxUrlLength = 200; o.UrlTooLong = answer; });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1");

        var tooLong = await client.StatusOfAsync(HttpMethod.Put, Bulk(keys.Take(60), "6"));
        var fits = await client.StatusOfAsync(HttpMethod.Put, Bulk(keys.Take(10), "6"));

        Assert.Equal(expected, tooLong);
        Assert.Equal(200, fits);
        Assert.Equal(10, server.Library.TrackKeys("1").Count(k => server.Library.GetUserRating(k) is not null));
        Assert.Equal(1, server.Counters.UrlsTooLong);
    }

    [Fact]
    public async Task A_url_over_the_bound_can_drop_the_connection()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.HandRatedShare = 0; o.MaxUrlLength = 200; o.UrlTooLong = UrlTooLongAnswer.Drop; });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1");

        await Assert.ThrowsAsync<HttpRequestException>(() => client.StatusOfAsync(HttpMethod.Put, Bulk(keys.Take(60), "6")));
        Assert.All(keys.Take(60), k => Assert.Null(server.Library.GetUserRating(k)));
    }

    [Fact]
    public async Task Single_writer_holds_each_write_request_for_its_fixed_plus_per_item_cost_one_at_a_time()
    {
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.HandRatedShare = 0;
            o.Latency.SerializeWrites = true;
            o.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(50);
            o.Latency.PerRatedItem = TimeSpan.FromMilliseconds(1);
        });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1");

        // Four bulk edits of 100 sent at once: a single writer needs 4 x (50 + 100) ms; parallel writers would need 150.
        var started = Stopwatch.GetTimestamp();
        var statuses = await Task.WhenAll(keys.Chunk(100).Take(4).Select(chunk => client.StatusOfAsync(HttpMethod.Put, Bulk(chunk, "6"))));
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(590), $"4 bulk edits took {elapsed.TotalMilliseconds} ms; a single writer needs at least 600");
        Assert.Equal(4, server.Counters.WriteRequests);
        Assert.Equal(400, server.Counters.RatingWrites);
    }
}
