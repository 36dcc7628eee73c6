using StarSync.Plex;

namespace StarSync.Tests.Plex;

[Trait("Category", "Unit")]
public sealed class PlexQueriesTests
{
    [Theory]
    [InlineData(TrackFilter.All, TrackSort.RatingKey, null, "/library/sections/3/all?type=10&sort=id")]
    [InlineData(TrackFilter.Unrated, TrackSort.RatingKey, null, "/library/sections/3/all?type=10&sort=id&userRating=-1")]
    [InlineData(TrackFilter.Rated, TrackSort.AddedAtDesc, null, "/library/sections/3/all?type=10&sort=addedAt:desc,id&userRating!=-1")]
    [InlineData(TrackFilter.RatedOtherThan, TrackSort.RatingKey, 7.5, "/library/sections/3/all?type=10&sort=id&userRating!=7.5")]
    [InlineData(TrackFilter.RatedOtherThan, TrackSort.RatingKey, 10.0, "/library/sections/3/all?type=10&sort=id&userRating!=10")]
    public void Track_listing_puts_filter_and_sort_in_the_query(TrackFilter filter, TrackSort sort, double? ratingNot, string expected) =>
        Assert.Equal(expected, PlexQueries.TrackListing("3", new TrackQuery(filter, sort, RatingNot: ratingNot)));

    [Fact]
    public void RatedOtherThan_without_a_value_is_an_argument_error() =>
        Assert.Throws<ArgumentException>(() => PlexQueries.TrackListing("3", new TrackQuery(TrackFilter.RatedOtherThan)));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    [InlineData(10.5)]
    public void RatedOtherThan_with_a_value_outside_0_to_10_is_an_argument_error(double value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PlexQueries.TrackListing("3", new TrackQuery(TrackFilter.RatedOtherThan, RatingNot: value)));

    [Theory]
    [InlineData(8.0, "/:/rate?key=123&identifier=com.plexapp.plugins.library&rating=8")]
    [InlineData(7.5, "/:/rate?key=123&identifier=com.plexapp.plugins.library&rating=7.5")]
    [InlineData(0.0, "/:/rate?key=123&identifier=com.plexapp.plugins.library&rating=0")]
    [InlineData(-1.0, "/:/rate?key=123&identifier=com.plexapp.plugins.library&rating=-1")]
    public void Rate_formats_the_value_invariantly(double rating, string expected) =>
        Assert.Equal(expected, PlexQueries.Rate("123", rating));

    [Fact]
    public void Keys_are_escaped_so_a_comma_cannot_split_them() =>
        Assert.Equal("/library/metadata/1,2,a%2Cb", PlexQueries.MetadataList(["1", "2", "a,b"]));

    [Fact]
    public void Listing_paths_never_carry_the_token()
    {
        var path = PlexQueries.TrackListing("1", new TrackQuery(TrackFilter.Unrated));
        Assert.DoesNotContain("token", path, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(6.0)]
    [InlineData(null)]
    public void A_bulk_edit_url_is_as_long_as_its_first_id_plus_a_comma_and_each_escaped_id_after_it(double? rating)
    {
        // The write path sums lengths id by id instead of building the URL for every id it adds.
        string[] keys = ["1", "123456", "a,b", "x y", " 42 ", "é", "99999999"];
        for (var n = 1; n <= keys.Length; n++)
        {
            var summed = PlexQueries.BulkRate("7", keys.Take(1), rating).Length + keys.Skip(1).Take(n - 1).Sum(k => 1 + PlexQueries.EscapedIdLength(k));
            Assert.Equal(PlexQueries.BulkRate("7", keys.Take(n), rating).Length, summed);
        }
    }
}
