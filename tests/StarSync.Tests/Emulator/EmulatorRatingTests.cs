using System.Net;
using Microsoft.Extensions.Time.Testing;

namespace StarSync.Tests.Emulator;

/// <summary>PUT /:/rate and the bulk edit (plex-api.md §7, §10).</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorRatingTests
{
    private static string Rate(string key, string rating) =>
        $"/:/rate?key={key}&identifier=com.plexapp.plugins.library&rating={rating}";

    [Fact]
    public async Task Rate_sets_the_rating_and_lastRatedAt_from_the_time_provider_then_minus_one_clears_it()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        await using var server = await EmulatorTestHost.StartAsync(o => { o.TimeProvider = time; o.HandRatedShare = 0; });
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[3];
        time.Advance(TimeSpan.FromMinutes(5));

        using var set = await EmulatorTestHost.SendAsync(client, HttpMethod.Put, Rate(key, "8.0"));
        var afterSet = (await client.GetXmlAsync("/library/metadata/" + key)).Element("Track")!;
        using var clear = await EmulatorTestHost.SendAsync(client, HttpMethod.Put, Rate(key, "-1"));
        var afterClear = (await client.GetXmlAsync("/library/metadata/" + key)).Element("Track")!;

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Empty(await set.Content.ReadAsByteArrayAsync(CancellationToken.None));
        Assert.Equal("8.0", (string?)afterSet.Attribute("userRating"));
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), afterSet.LongAttr("lastRatedAt"));
        Assert.Equal(HttpStatusCode.OK, clear.StatusCode);
        Assert.Null(afterClear.Attribute("userRating"));
        Assert.Null(server.Library.GetUserRating(key));
        Assert.Equal(2, server.Counters.RatingWrites);
    }

    [Theory]
    [InlineData("0", 0.0)]
    [InlineData("10", 10.0)]
    [InlineData("7", 7.0)]
    [InlineData("3.0", 3.0)]
    public async Task Rate_accepts_the_whole_0_to_10_scale_including_zero(string value, double expected)
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0);
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[0];

        Assert.Equal(200, await client.StatusOfAsync(HttpMethod.Put, Rate(key, value)));

        Assert.Equal(expected, server.Library.GetUserRating(key));
        var zeroOrMore = await client.GetXmlAsync("/library/sections/1/all?type=10&userRating=-1", 0, 0);
        Assert.Equal(599, zeroOrMore.IntAttr("totalSize"));
    }

    [Theory]
    [InlineData("rating=11")]
    [InlineData("rating=-2")]
    [InlineData("rating=abc")]
    [InlineData("rating=")]
    [InlineData("")]
    public async Task Rate_with_bad_or_missing_rating_is_400(string rating)
    {
        await using var server = await EmulatorTestHost.StartAsync();
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[0];
        var before = server.Library.GetUserRating(key);

        var status = await client.StatusOfAsync(HttpMethod.Put, $"/:/rate?key={key}&identifier=com.plexapp.plugins.library&{rating}");

        Assert.Equal(400, status);
        Assert.Equal(before, server.Library.GetUserRating(key));
        Assert.Equal(0, server.Counters.RatingWrites);
    }

    [Fact]
    public async Task Rate_with_unknown_key_or_identifier_is_404_and_missing_identifier_is_400()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[0];

        Assert.Equal(404, await client.StatusOfAsync(HttpMethod.Put, Rate("987654321", "4")));
        Assert.Equal(404, await client.StatusOfAsync(HttpMethod.Put, $"/:/rate?key={key}&identifier=com.plexapp.agents.none&rating=4"));
        Assert.Equal(400, await client.StatusOfAsync(HttpMethod.Put, $"/:/rate?key={key}&rating=4"));
    }

    [Fact]
    public async Task Rate_by_GET_also_works()
    {
        await using var server = await EmulatorTestHost.StartAsync();
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[1];

        Assert.Equal(200, await client.StatusOfAsync(HttpMethod.Get, Rate(key, "6")));
        Assert.Equal(6.0, server.Library.GetUserRating(key));
    }

    [Fact]
    public async Task A_shared_user_token_rates_its_own_copy_and_the_owner_state_stays()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => { o.UserTokens.Add("friend-token"); o.HandRatedShare = 0; });
        using var friend = EmulatorTestHost.Client(server, token: "friend-token");
        using var owner = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[2];

        Assert.Equal(200, await friend.StatusOfAsync(HttpMethod.Put, Rate(key, "4")));
        var friendView = (await friend.GetXmlAsync("/library/metadata/" + key)).Element("Track")!;
        var ownerView = (await owner.GetXmlAsync("/library/metadata/" + key)).Element("Track")!;
        var friendUnrated = await friend.GetXmlAsync("/library/sections/1/all?type=10&userRating=-1", 0, 0);

        Assert.Equal(4.0, friendView.Rating());
        Assert.Null(ownerView.Rating());
        Assert.Null(server.Library.GetUserRating(key));
        Assert.Equal(4.0, server.Library.GetUserRating(key, "friend-token"));
        Assert.Equal(599, friendUnrated.IntAttr("totalSize"));
    }

    [Fact]
    public async Task Setting_a_rating_by_hand_is_visible_and_not_counted_as_an_API_write()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0);
        using var client = EmulatorTestHost.Client(server);
        var key = server.Library.TrackKeys("1")[5];

        server.Library.SetUserRating(key, 5);
        var track = (await client.GetXmlAsync("/library/metadata/" + key)).Element("Track")!;

        Assert.Equal(5.0, track.Rating());
        Assert.Equal(0, server.Counters.RatingWrites);
        Assert.Equal(1, server.Library.CountRated("1"));
    }

    [Fact]
    public async Task Bulk_edit_sets_each_listed_track_and_locks_the_field()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0);
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1").Take(3).ToArray();

        var status = await client.StatusOfAsync(
            HttpMethod.Put, $"/library/sections/1/all?type=10&id={string.Join(",", keys)}&userRating.value=8&userRating.locked=1");
        var track = (await client.GetXmlAsync("/library/metadata/" + keys[0])).Element("Track")!;

        Assert.Equal(200, status);
        Assert.All(keys, k => Assert.Equal(8.0, server.Library.GetUserRating(k)));
        Assert.Equal("1", (string?)track.Element("Field")?.Attribute("locked"));
        Assert.Equal(3, server.Counters.RatingWrites);
    }

    [Fact]
    public async Task New_album_arrives_unrated_and_newest()
    {
        await using var server = await EmulatorTestHost.StartAsync(o => o.HandRatedShare = 0.5);
        using var client = EmulatorTestHost.Client(server);
        var existingArtist = server.Library.GetTitle(server.Library.ArtistKeys("1")[1]);

        var album = server.Library.AddAlbum("1", 9);
        var more = server.Library.AddAlbum("1", 3, existingArtist);
        var newest = await client.GetXmlAsync("/library/sections/1/all?type=10&sort=addedAt:desc", 0, 12);
        var albumChildren = await client.GetXmlAsync($"/library/metadata/{album.AlbumRatingKey}/children");

        Assert.Equal(9, album.TrackRatingKeys.Count);
        Assert.All(album.TrackRatingKeys, k => Assert.Null(server.Library.GetUserRating(k)));
        Assert.Equal(album.TrackRatingKeys.Concat(more.TrackRatingKeys).ToHashSet(), newest.Keys().ToHashSet());
        Assert.Equal(album.TrackRatingKeys, albumChildren.Keys());
        Assert.Equal(server.Library.ArtistKeys("1")[1], more.ArtistRatingKey);
        Assert.Equal(612, server.Library.Sections[0].TrackCount);
    }

    [Fact]
    public async Task Concurrent_rating_writes_and_listings_are_consistent()
    {
        // Each request held for 2 ms, so requests sent together do overlap at the emulator: answered in microseconds, they
        // could run one after another on a loaded machine (CI once saw a peak of 1), and the test would check nothing concurrent.
        await using var server = await EmulatorTestHost.StartAsync(o =>
        {
            o.HandRatedShare = 0;
            o.Latency.PerRequest = TimeSpan.FromMilliseconds(2);
        });
        using var client = EmulatorTestHost.Client(server);
        var keys = server.Library.TrackKeys("1");

        var writes = keys.Select(k => client.StatusOfAsync(HttpMethod.Put, Rate(k, "6")));
        var reads = Enumerable.Range(0, 20).Select(_ => client.StatusOfAsync(HttpMethod.Get, "/library/sections/1/all?type=10&userRating=-1"));
        var statuses = await Task.WhenAll(writes.Concat(reads));

        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.Equal(0, server.Library.CountUnrated("1"));
        Assert.Equal(keys.Count, server.Counters.RatingWrites);
        Assert.True(server.Counters.PeakConcurrentRequests > 1);
    }
}
