using Microsoft.Extensions.DependencyInjection;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Plex;

/// <summary>Listing, filtering, sorting, counting and expanding against the emulated PMS over real HTTP. These tests only read.</summary>
[Trait("Category", "Integration")]
public sealed class PlexClientListingTests(PlexEmulatorFixture fixture) : IClassFixture<PlexEmulatorFixture>
{
    private const string ListingRoute = "/library/sections/{id}/all";

    private PlexEmulatorServer Plex => fixture.Plex;

    private EmulatedSection Music => Plex.Library.Sections.First(s => s.IsMusic);

    private ServiceProvider Services(int pageSize = 100) =>
        PlexTestServices.Build(Plex.BaseUri.ToString(), Plex.Token, o => o.PageSize = pageSize);

    [Fact]
    public async Task Libraries_include_every_music_section_and_the_movie_section()
    {
        await using var sp = Services();

        var libraries = await sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None);

        Assert.Equal(Plex.Library.Sections.Select(s => (s.Key, s.Title, s.Type)), libraries.Select(l => (l.Key, l.Title, l.Type)));
        Assert.Equal(2, libraries.Count(l => l.IsMusic));
    }

    [Fact]
    public async Task Server_info_names_the_server()
    {
        await using var sp = Services();

        var info = await sp.GetRequiredService<IPlexClient>().GetServerInfoAsync(CancellationToken.None);

        Assert.Equal(Plex.Options.FriendlyName, info.FriendlyName);
        Assert.Equal(Plex.MachineIdentifier, info.MachineIdentifier);
        Assert.False(string.IsNullOrEmpty(info.Version));
    }

    [Fact]
    public async Task All_tracks_stream_across_page_boundaries_in_ratingKey_order_with_section_and_titles()
    {
        await using var sp = Services(pageSize: 100);

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(Music.Key, new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(Plex.Library.TrackKeys(Music.Key), tracks.Select(t => t.RatingKey));
        Assert.All(tracks, t =>
        {
            Assert.Equal(Music.Key, t.LibrarySectionId);
            Assert.False(string.IsNullOrEmpty(t.Title));
            Assert.False(string.IsNullOrEmpty(t.AlbumTitle));
            Assert.False(string.IsNullOrEmpty(t.ArtistTitle));
            Assert.True(t.AddedAt > 0);
            Assert.Equal(Plex.Library.GetUserRating(t.RatingKey), t.UserRating);
        });
        var sample = tracks[tracks.Count / 2];
        Assert.Equal(Plex.Library.GetTitle(sample.RatingKey), sample.Title);
        Assert.Equal(Plex.Library.GetTitle(Plex.Library.GetParentKey(sample.RatingKey)!), sample.AlbumTitle);
    }

    [Fact]
    public async Task Start_and_Limit_select_a_window_that_spans_pages()
    {
        await using var sp = Services(pageSize: 100);

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(Music.Key, new TrackQuery(Start: 150, Limit: 120), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(Plex.Library.TrackKeys(Music.Key).Skip(150).Take(120), tracks.Select(t => t.RatingKey));
    }

    [Fact]
    public async Task Unrated_filter_returns_exactly_the_tracks_without_a_rating()
    {
        await using var sp = Services(pageSize: 250);

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(Music.Key, new TrackQuery(TrackFilter.Unrated), CancellationToken.None).ToListAsync(CancellationToken.None);

        var expected = Plex.Library.TrackKeys(Music.Key).Where(k => Plex.Library.GetUserRating(k) is null).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, tracks.Select(t => t.RatingKey));
        Assert.All(tracks, t => Assert.Null(t.UserRating));
    }

    [Fact]
    public async Task Rated_filter_returns_exactly_the_tracks_with_a_rating_zero_included()
    {
        await using var sp = Services(pageSize: 250);

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(Music.Key, new TrackQuery(TrackFilter.Rated), CancellationToken.None).ToListAsync(CancellationToken.None);

        var expected = Plex.Library.TrackKeys(Music.Key).Where(k => Plex.Library.GetUserRating(k) is not null).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, tracks.Select(t => t.RatingKey));
        Assert.All(tracks, t => Assert.Equal(Plex.Library.GetUserRating(t.RatingKey), t.UserRating));
    }

    [Theory]
    [InlineData(10.0)]
    [InlineData(7.0)]
    [InlineData(0.0)]
    public async Task RatedOtherThan_returns_rated_tracks_with_another_value_and_never_unrated_ones(double value)
    {
        await using var sp = Services(pageSize: 1000);

        var tracks = await sp.GetRequiredService<IPlexClient>()
            .GetTracksAsync(Music.Key, new TrackQuery(TrackFilter.RatedOtherThan, RatingNot: value), CancellationToken.None).ToListAsync(CancellationToken.None);

        var expected = Plex.Library.TrackKeys(Music.Key).Where(k => Plex.Library.GetUserRating(k) is { } r && r != value).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, tracks.Select(t => t.RatingKey));
    }

    [Fact]
    public async Task Count_reads_the_total_with_one_empty_page_without_listing()
    {
        await using var sp = Services();
        var client = sp.GetRequiredService<IPlexClient>();
        var before = Plex.Counters.RequestsFor(ListingRoute);

        var all = await client.CountTracksAsync(Music.Key, new TrackQuery(), CancellationToken.None);
        var unrated = await client.CountTracksAsync(Music.Key, new TrackQuery(TrackFilter.Unrated), CancellationToken.None);
        var rated = await client.CountTracksAsync(Music.Key, new TrackQuery(TrackFilter.Rated), CancellationToken.None);

        Assert.Equal(Music.TrackCount, all);
        Assert.Equal(Plex.Library.CountUnrated(Music.Key), unrated);
        Assert.Equal(Plex.Library.CountRated(Music.Key), rated);
        Assert.Equal(3, Plex.Counters.RequestsFor(ListingRoute) - before);
    }

    [Fact]
    public async Task Count_honours_Start_and_Limit()
    {
        await using var sp = Services();
        var client = sp.GetRequiredService<IPlexClient>();

        Assert.Equal(10, await client.CountTracksAsync(Music.Key, new TrackQuery(Limit: 10), CancellationToken.None));
        Assert.Equal(Music.TrackCount - 100, await client.CountTracksAsync(Music.Key, new TrackQuery(Start: 100), CancellationToken.None));
        Assert.Equal(0, await client.CountTracksAsync(Music.Key, new TrackQuery(Start: Music.TrackCount + 5), CancellationToken.None));
    }

    [Fact]
    public async Task Newest_first_is_ordered_by_addedAt_descending_with_ties_by_ratingKey()
    {
        await using var sp = Services(pageSize: 300);

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(Music.Key, new TrackQuery(Sort: TrackSort.AddedAtDesc), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(Music.TrackCount, tracks.Count);
        var expected = tracks.OrderByDescending(t => t.AddedAt).ThenBy(t => long.Parse(t.RatingKey, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(expected.Select(t => t.RatingKey), tracks.Select(t => t.RatingKey));
    }

    [Fact]
    public async Task A_page_reports_the_total_of_the_filtered_set_and_its_offset()
    {
        await using var sp = Services();

        var page = await sp.GetRequiredService<IPlexClient>().GetTrackPageAsync(Music.Key, new TrackQuery(TrackFilter.Unrated, Start: 20), 50, CancellationToken.None);

        Assert.Equal(Plex.Library.CountUnrated(Music.Key), page.TotalSize);
        Assert.Equal(20, page.Offset);
        Assert.Equal(50, page.ServerCount);
        Assert.Equal(Plex.Library.TrackKeys(Music.Key).Where(k => Plex.Library.GetUserRating(k) is null).Skip(20).Take(50), page.Tracks.Select(t => t.RatingKey));
    }

    [Fact]
    public async Task A_track_expands_to_itself()
    {
        await using var sp = Services();
        var key = Plex.Library.TrackKeys(Music.Key)[7];

        var tracks = await sp.GetRequiredService<IPlexClient>().GetItemTracksAsync(key, CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal([key], tracks.Select(t => t.RatingKey));
    }

    [Fact]
    public async Task An_album_expands_to_its_tracks_with_album_and_artist_titles()
    {
        await using var sp = Services();
        var track = Plex.Library.TrackKeys(Music.Key)[42];
        var album = Plex.Library.GetParentKey(track)!;
        var artist = Plex.Library.GetParentKey(album)!;

        var tracks = await sp.GetRequiredService<IPlexClient>().GetItemTracksAsync(album, CancellationToken.None).ToListAsync(CancellationToken.None);

        var expected = Plex.Library.TrackKeys(Music.Key).Where(k => Plex.Library.GetParentKey(k) == album).ToList();
        Assert.Equal(expected, tracks.Select(t => t.RatingKey));
        Assert.All(tracks, t =>
        {
            Assert.Equal(Plex.Library.GetTitle(album), t.AlbumTitle);
            Assert.Equal(Plex.Library.GetTitle(artist), t.ArtistTitle);
        });
    }

    [Fact]
    public async Task An_artist_expands_to_the_tracks_of_all_its_albums()
    {
        await using var sp = Services(pageSize: 5);
        var artist = Plex.Library.GetParentKey(Plex.Library.GetParentKey(Plex.Library.TrackKeys(Music.Key)[100])!)!;

        var tracks = await sp.GetRequiredService<IPlexClient>().GetItemTracksAsync(artist, CancellationToken.None).ToListAsync(CancellationToken.None);

        var expected = Plex.Library.TrackKeys(Music.Key).Where(k => Plex.Library.GetParentKey(Plex.Library.GetParentKey(k)!) == artist).ToHashSet();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, tracks.Count);
        Assert.True(expected.SetEquals(tracks.Select(t => t.RatingKey)));
    }

    [Fact]
    public async Task An_unknown_key_expands_to_nothing()
    {
        await using var sp = Services();

        var tracks = await sp.GetRequiredService<IPlexClient>().GetItemTracksAsync("987654321", CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Empty(tracks);
    }

    [Fact]
    public async Task Tracks_by_keys_are_read_in_batches_and_unknown_keys_are_left_out()
    {
        await using var sp = Services();
        var keys = Plex.Library.TrackKeys(Music.Key).Take(250).ToList();
        var asked = keys.Append("987654321").Prepend("987654322").ToList();
        var before = Plex.Counters.RequestsFor("/library/metadata/{ids}");

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksByKeysAsync(asked, CancellationToken.None);

        Assert.Equal(keys.ToHashSet(), tracks.Select(t => t.RatingKey).ToHashSet());
        Assert.All(tracks, t => Assert.Equal(Plex.Library.GetUserRating(t.RatingKey), t.UserRating));
        Assert.Equal(3, Plex.Counters.RequestsFor("/library/metadata/{ids}") - before); // 252 keys, 100 a request
    }

    [Fact]
    public async Task Tracks_by_keys_of_only_unknown_keys_is_empty()
    {
        await using var sp = Services();

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksByKeysAsync(["987654321"], CancellationToken.None);

        Assert.Empty(tracks);
    }

    [Fact]
    public async Task Listing_an_unknown_section_is_PlexNotFoundException()
    {
        await using var sp = Services();

        await Assert.ThrowsAsync<PlexNotFoundException>(() => sp.GetRequiredService<IPlexClient>().GetTracksAsync("999", new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None).AsTask());
    }
}
