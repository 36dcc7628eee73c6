using System.Globalization;
using System.Net;

namespace StarSync.Tests.Emulator;

/// <summary>/library/sections/{id}/all: paging, sorting and the userRating filter language (plex-api.md §4, §6).</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorListingTests(SharedEmulatorFixture fixture) : IClassFixture<SharedEmulatorFixture>
{
    private const string Tracks = "/library/sections/1/all?type=10";

    [Fact]
    public async Task Paging_by_headers_walks_every_track_once_and_ends_with_a_partial_page()
    {
        var all = await fixture.Xml.GetXmlAsync(Tracks);
        var total = all.IntAttr("totalSize");
        var seen = new List<string>();

        for (var start = 0; start < total; start += 100)
        {
            using var response = await EmulatorTestHost.SendAsync(fixture.Xml, HttpMethod.Get, Tracks, start, 100);
            var page = System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync(CancellationToken.None)).Root!;
            Assert.Equal(start.ToString(CultureInfo.InvariantCulture), response.Headers.GetValues("X-Plex-Container-Start").Single());
            Assert.Equal(total.ToString(CultureInfo.InvariantCulture), response.Headers.GetValues("X-Plex-Container-Total-Size").Single());
            Assert.Equal(start, page.IntAttr("offset"));
            Assert.Equal(Math.Min(100, total - start), page.IntAttr("size"));
            seen.AddRange(page.Keys());
        }

        Assert.Equal(fixture.Server.Library.TrackKeys("1"), seen);
        Assert.Equal(all.Keys(), seen);
        Assert.NotEqual(0, total % 100);
    }

    [Fact]
    public async Task Paging_by_query_parameters_matches_paging_by_headers()
    {
        var byHeader = await fixture.Xml.GetXmlAsync(Tracks, start: 37, size: 11);
        var byQuery = await fixture.Xml.GetXmlAsync(Tracks + "&X-Plex-Container-Start=37&X-Plex-Container-Size=11");

        Assert.Equal(11, byQuery.Keys().Length);
        Assert.Equal(byHeader.Keys(), byQuery.Keys());
    }

    [Fact]
    public async Task Page_past_the_end_is_empty_with_the_total()
    {
        var page = await fixture.Xml.GetXmlAsync(Tracks, start: 100_000, size: 50);

        Assert.Equal(0, page.IntAttr("size"));
        Assert.Equal(450, page.IntAttr("totalSize"));
    }

    [Fact]
    public async Task Size_zero_returns_only_the_count()
    {
        var page = await fixture.Xml.GetXmlAsync(Tracks + "&userRating=-1", start: 0, size: 0);

        Assert.Empty(page.Elements("Track"));
        Assert.Equal(fixture.Server.Library.CountUnrated("1"), page.IntAttr("totalSize"));
    }

    [Fact]
    public async Task Limit_caps_the_result_and_the_total()
    {
        var page = await fixture.Xml.GetXmlAsync(Tracks + "&limit=30", start: 20, size: 50);

        Assert.Equal(30, page.IntAttr("totalSize"));
        Assert.Equal(10, page.IntAttr("size"));
    }

    [Fact]
    public async Task Type_selects_artists_albums_or_tracks_and_defaults_to_artists()
    {
        var lib = fixture.Server.Library;

        var artists = await fixture.Xml.GetXmlAsync("/library/sections/1/all?type=8");
        var albums = await fixture.Xml.GetXmlAsync("/library/sections/1/all?type=9");
        var byDefault = await fixture.Xml.GetXmlAsync("/library/sections/1/all");

        Assert.Equal(lib.ArtistKeys("1"), artists.Keys());
        Assert.Equal(lib.AlbumKeys("1"), albums.Keys());
        Assert.Equal(lib.ArtistKeys("1"), byDefault.Keys());
        Assert.All(albums.Elements(), a => Assert.Equal("Directory", a.Name.LocalName));
    }

    [Theory]
    [InlineData("addedAt", false)]
    [InlineData("addedAt:desc", true)]
    [InlineData("track.addedAt:desc", true)]
    public async Task Sort_by_addedAt_orders_and_breaks_ties_by_ratingKey(string sort, bool descending)
    {
        var page = await fixture.Xml.GetXmlAsync(Tracks + "&sort=" + Uri.EscapeDataString(sort));

        var items = page.Elements("Track").Select(t => (Added: t.LongAttr("addedAt"), Key: t.IntAttr("ratingKey"))).ToList();
        Assert.Equal(450, items.Count);
        for (var i = 1; i < items.Count; i++)
        {
            var c = items[i - 1].Added.CompareTo(items[i].Added);
            Assert.True(descending ? c >= 0 : c <= 0, $"{sort} out of order at {i}");
            if (c == 0)
            {
                Assert.True(items[i - 1].Key < items[i].Key);
            }
        }
    }

    [Fact]
    public async Task Sort_by_titleSort_then_userRating_desc_is_stable_across_pages()
    {
        const string query = Tracks + "&sort=userRating:desc,titleSort";
        var whole = await fixture.Xml.GetXmlAsync(query);
        var paged = new List<string>();
        for (var start = 0; start < 450; start += 64)
        {
            paged.AddRange((await fixture.Xml.GetXmlAsync(query, start, 64)).Keys());
        }

        Assert.Equal(whole.Keys(), paged);
        var ratings = whole.Elements("Track").Select(t => t.Rating()).ToList();
        // Descending: rated items first, highest first; unrated (NULL) last, as in SQLite.
        var firstUnrated = ratings.FindIndex(r => r is null);
        Assert.All(ratings.Skip(firstUnrated), r => Assert.Null(r));
        Assert.Equal(ratings.Take(firstUnrated).OrderByDescending(r => r), ratings.Take(firstUnrated));
        var titles = whole.Elements("Track").Skip(firstUnrated).Select(t => (string?)t.Attribute("titleSort") ?? (string)t.Attribute("title")!).ToList();
        Assert.Equal(titles.Order(StringComparer.OrdinalIgnoreCase), titles);
    }

    [Fact]
    public async Task Unknown_sort_field_is_400()
    {
        Assert.Equal(400, await fixture.Xml.StatusOfAsync(HttpMethod.Get, Tracks + "&sort=nonsense:desc"));
    }

    [Theory]
    [InlineData("userRating=-1")]
    [InlineData("track.userRating=-1")]
    public async Task Rating_minus_one_matches_exactly_the_unrated_tracks(string filter)
    {
        var lib = fixture.Server.Library;
        var expected = lib.TrackKeys("1").Where(k => lib.GetUserRating(k) is null);

        var page = await fixture.Xml.GetXmlAsync(Tracks + "&" + filter);

        Assert.Equal(expected, page.Keys());
        Assert.All(page.Elements("Track"), t => Assert.Null(t.Attribute("userRating")));
    }

    [Theory]
    [InlineData("userRating!=-1", "rated")]
    [InlineData("userRating%21=-1", "rated")]
    [InlineData("userRating>>=-1", "rated")]
    [InlineData("userRating=0", "=0")]
    [InlineData("userRating=10", "=10")]
    [InlineData("userRating=3,7", "in3,7")]
    [InlineData("userRating!=0", "!=0")]
    [InlineData("userRating!=2,4", "!=2,4")]
    [InlineData("userRating>>=6", ">6")]
    [InlineData("userRating%3E%3E=6", ">6")]
    [InlineData("userRating<<=4", "<4")]
    [InlineData("userRating%3C%3C=4", "<4")]
    [InlineData("userRating>=6", ">=6")]
    [InlineData("userRating<=4", "<=4")]
    [InlineData("track.userRating%3E=6", ">=6")]
    [InlineData("userRating==8", "=8")]
    public async Task Each_filter_operator_matches_like_PMS(string filter, string rule)
    {
        var lib = fixture.Server.Library;
        Func<double?, bool> predicate = rule switch
        {
            "rated" => r => r is not null,
            "=0" => r => r == 0,
            "=8" => r => r == 8,
            "=10" => r => r == 10,
            "in3,7" => r => r is 3 or 7,
            "!=0" => r => r is not null && r != 0,
            "!=2,4" => r => r is not null && r != 2 && r != 4,
            ">6" => r => r > 6,
            "<4" => r => r < 4,
            ">=6" => r => r >= 6,
            "<=4" => r => r <= 4,
            _ => throw new ArgumentOutOfRangeException(nameof(rule)),
        };
        var expected = lib.TrackKeys("1").Where(k => predicate(lib.GetUserRating(k))).ToList();

        var page = await fixture.Xml.GetXmlAsync(Tracks + "&" + filter);

        Assert.NotEmpty(expected);
        Assert.Equal(expected, page.Keys());
        Assert.Equal(expected.Count, page.IntAttr("totalSize"));
    }

    [Fact]
    public async Task Zero_is_a_real_rating_distinct_from_unrated()
    {
        var zero = await fixture.Xml.GetXmlAsync(Tracks + "&userRating=0");
        var lessThanOne = await fixture.Xml.GetXmlAsync(Tracks + "&userRating<<=1");

        Assert.NotEmpty(zero.Elements("Track"));
        Assert.All(zero.Elements("Track"), t => Assert.Equal("0.0", (string?)t.Attribute("userRating")));
        Assert.Equal(zero.Keys(), lessThanOne.Keys());
    }

    [Fact]
    public async Task Two_filters_are_anded_and_or_groups_are_honoured()
    {
        var lib = fixture.Server.Library;
        var between = lib.TrackKeys("1").Where(k => lib.GetUserRating(k) is > 2 and < 8).ToList();
        var either = lib.TrackKeys("1").Where(k => lib.GetUserRating(k) is null or 10).ToList();

        var andPage = await fixture.Xml.GetXmlAsync(Tracks + "&userRating>>=2&userRating<<=8");
        var orPage = await fixture.Xml.GetXmlAsync(Tracks + "&push=1&userRating=-1&or=1&userRating=10&pop=1");

        Assert.Equal(between, andPage.Keys());
        Assert.Equal(either, orPage.Keys());
    }

    [Fact]
    public async Task Albums_and_artists_filter_by_their_tracks_ratings()
    {
        var lib = fixture.Server.Library;
        var tracks = lib.TrackKeys("1");
        var albumsWithTen = tracks.Where(k => lib.GetUserRating(k) == 10).Select(k => lib.GetParentKey(k)!).ToHashSet();
        var artistsWithUnrated = tracks.Where(k => lib.GetUserRating(k) is null).Select(k => lib.GetParentKey(lib.GetParentKey(k)!)!).ToHashSet();

        var albums = await fixture.Xml.GetXmlAsync("/library/sections/1/all?type=9&track.userRating=10");
        var artists = await fixture.Xml.GetXmlAsync("/library/sections/1/all?type=8&track.userRating=-1");

        Assert.Equal(lib.AlbumKeys("1").Where(albumsWithTen.Contains), albums.Keys());
        Assert.Equal(lib.ArtistKeys("1").Where(artistsWithUnrated.Contains), artists.Keys());
    }

    [Fact]
    public async Task Filtering_and_sorting_combine_with_paging()
    {
        var lib = fixture.Server.Library;
        var unrated = lib.TrackKeys("1").Count(k => lib.GetUserRating(k) is null);

        var page = await fixture.Xml.GetXmlAsync(Tracks + "&userRating=-1&sort=addedAt:desc&includeGuids=1&excludeFields=summary", start: 10, size: 10);

        Assert.Equal(unrated, page.IntAttr("totalSize"));
        Assert.Equal(10, page.IntAttr("size"));
        Assert.All(page.Elements("Track"), t => Assert.Null(t.Attribute("userRating")));
    }

    [Fact]
    public async Task Last_viewed_and_its_sort_do_not_drift_with_the_clock()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await EmulatorTestHost.StartAsync(o => o.TimeProvider = clock);
        using var client = EmulatorTestHost.Client(server);

        var before = await client.GetXmlAsync(Tracks + "&sort=lastViewedAt:desc", start: 0, size: 50);
        clock.Advance(TimeSpan.FromDays(30));
        var after = await client.GetXmlAsync(Tracks + "&sort=lastViewedAt:desc", start: 0, size: 50);

        Assert.Equal(before.Keys(), after.Keys());
        Assert.Equal(before.Elements("Track").Select(t => (string?)t.Attribute("lastViewedAt")), after.Elements("Track").Select(t => (string?)t.Attribute("lastViewedAt")));
    }

    [Fact]
    public async Task Malformed_filter_value_is_400()
    {
        using var response = await EmulatorTestHost.SendAsync(fixture.Xml, HttpMethod.Get, Tracks + "&userRating=abc");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Movie_section_lists_nothing_and_second_music_section_is_separate()
    {
        var movies = await fixture.Xml.GetXmlAsync("/library/sections/3/all");
        var live = await fixture.Xml.GetXmlAsync("/library/sections/2/all?type=10", 0, 0);

        Assert.Equal(0, movies.IntAttr("totalSize"));
        Assert.Equal(450, live.IntAttr("totalSize"));
        Assert.Equal(450, fixture.Server.Library.Sections[1].TrackCount);
    }
}
