using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Plex;

/// <summary>Tests that change the emulated server (ratings, faults, new albums), each against its own emulator.</summary>
[Trait("Category", "Integration")]
public sealed class PlexClientEmulatorTests
{
    private const string ListingRoute = "/library/sections/{id}/all";
    private const string RateRoute = "/:/rate";

    private static Task<PlexEmulatorServer> StartAsync(int tracks = 250, int maxPageSize = 0, double handRated = 0.1) =>
        PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = tracks, Seed = 1, HandRatedShare = handRated, MusicLibraries = 1, MaxPageSize = maxPageSize });

    private static ServiceProvider Services(PlexEmulatorServer plex, int pageSize = 100, int timeoutSeconds = 30, string? token = null, int retries = 3) =>
        PlexTestServices.Build(plex.BaseUri.ToString(), token ?? plex.Token, o =>
        {
            o.PageSize = pageSize;
            o.TimeoutSeconds = timeoutSeconds;
        }, retries: retries);

    private static string MusicKey(PlexEmulatorServer plex) => plex.Library.Sections.First(s => s.IsMusic).Key;

    [Fact]
    public async Task Paging_250_tracks_by_100_takes_three_requests_and_ends_on_the_partial_page()
    {
        await using var plex = await StartAsync(tracks: 250);
        await using var sp = Services(plex, pageSize: 100);
        var section = MusicKey(plex);
        plex.Counters.Reset();

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(section, new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(plex.Library.TrackKeys(section), tracks.Select(t => t.RatingKey));
        Assert.Equal(3, plex.Counters.RequestsFor(ListingRoute));
    }

    [Fact]
    public async Task A_server_that_clamps_page_size_is_still_listed_completely()
    {
        await using var plex = await StartAsync(tracks: 250, maxPageSize: 40);
        await using var sp = Services(plex, pageSize: 100);
        var section = MusicKey(plex);
        plex.Counters.Reset();

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(section, new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(plex.Library.TrackKeys(section), tracks.Select(t => t.RatingKey));
        Assert.Equal(7, plex.Counters.RequestsFor(ListingRoute)); // ceil(250 / 40)
    }

    [Fact]
    public async Task Recent_N_returns_the_newest_album_first_with_one_request()
    {
        await using var plex = await StartAsync();
        await using var sp = Services(plex);
        var section = MusicKey(plex);
        var album = plex.Library.AddAlbum(section, trackCount: 5, artistName: "Brand New Artist");
        plex.Counters.Reset();

        var tracks = await sp.GetRequiredService<IPlexClient>()
            .GetTracksAsync(section, new TrackQuery(TrackFilter.Unrated, TrackSort.AddedAtDesc, Limit: 5), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(album.TrackRatingKeys.Order(StringComparer.Ordinal), tracks.Select(t => t.RatingKey).Order(StringComparer.Ordinal));
        Assert.All(tracks, t => Assert.Equal(album.AlbumTitle, t.AlbumTitle));
        Assert.Equal(1, plex.Counters.RequestsFor(ListingRoute));
    }

    [Fact]
    public async Task Set_and_clear_rating_are_what_the_server_stores()
    {
        await using var plex = await StartAsync(handRated: 0);
        await using var sp = Services(plex);
        var client = sp.GetRequiredService<IPlexClient>();
        var keys = plex.Library.TrackKeys(MusicKey(plex)).ToList();

        await client.SetRatingAsync(keys[0], 10, CancellationToken.None);
        await client.SetRatingAsync(keys[1], 7.5, CancellationToken.None);
        await client.SetRatingAsync(keys[2], 0, CancellationToken.None);
        await client.SetRatingAsync(keys[3], 4, CancellationToken.None);
        await client.ClearRatingAsync(keys[3], CancellationToken.None);

        Assert.Equal(10.0, plex.Library.GetUserRating(keys[0]));
        Assert.Equal(7.5, plex.Library.GetUserRating(keys[1]));
        Assert.Equal(0.0, plex.Library.GetUserRating(keys[2])); // 0 is a rating, not "unrated"
        Assert.Null(plex.Library.GetUserRating(keys[3]));
        Assert.Equal(5, plex.Counters.RatingWrites);
        var read = await client.GetTracksByKeysAsync(keys.Take(4).ToList(), CancellationToken.None);
        Assert.Equal([10.0, 7.5, 0.0, null], read.OrderBy(t => keys.IndexOf(t.RatingKey)).Select(t => t.UserRating));
    }

    [Fact]
    public async Task Rating_an_unknown_key_is_PlexNotFoundException_and_not_retried()
    {
        await using var plex = await StartAsync();
        await using var sp = Services(plex);
        plex.Counters.Reset();

        var e = await Assert.ThrowsAsync<PlexNotFoundException>(() => sp.GetRequiredService<IPlexClient>().SetRatingAsync("987654321", 8, CancellationToken.None));

        Assert.Equal(404, e.StatusCode);
        Assert.Equal(1, plex.Counters.RequestsFor(RateRoute));
    }

    [Fact]
    public async Task A_wrong_token_is_PlexAuthenticationException_naming_PLEX_TOKEN_without_the_token_and_not_retried()
    {
        await using var plex = await StartAsync();
        const string wrongToken = "wrong-token-5f3a9c";
        await using var sp = Services(plex, token: wrongToken);
        plex.Counters.Reset();

        var e = await Assert.ThrowsAsync<PlexAuthenticationException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None));

        Assert.Equal(401, e.StatusCode);
        Assert.Contains("HTTP 401", e.Message, StringComparison.Ordinal);
        Assert.Contains("PLEX_TOKEN", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongToken, e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(sp.LogText(), l => l.Contains(wrongToken, StringComparison.Ordinal));
        Assert.Equal(1, plex.Counters.Requests);
    }

    [Fact]
    public async Task A_revoked_token_is_PlexAuthenticationException()
    {
        await using var plex = await StartAsync();
        await using var sp = Services(plex);
        plex.Options.Faults.RevokeToken = true;

        var e = await Assert.ThrowsAsync<PlexAuthenticationException>(() => sp.GetRequiredService<IPlexClient>().SetRatingAsync(plex.Library.TrackKeys(MusicKey(plex))[0], 8, CancellationToken.None));

        Assert.DoesNotContain(plex.Token, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_named_by_its_url_in_the_error()
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var sp = PlexTestServices.Build(url + "/", "unreachable-token-77");

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None));

        Assert.StartsWith($"Could not reach Plex at {url}", e.Message, StringComparison.Ordinal);
        Assert.Contains("PLEX_URL", e.Message, StringComparison.Ordinal);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.DoesNotContain("unreachable-token-77", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rating_write_that_always_fails_with_500_is_tried_once_plus_the_retries()
    {
        await using var plex = await StartAsync();
        await using var sp = Services(plex);
        var key = plex.Library.TrackKeys(MusicKey(plex)).First(k => plex.Library.GetUserRating(k) is null);
        plex.Options.Faults.Routes = [RateRoute];
        plex.Options.Faults.ServerErrorRate = 1;
        plex.Counters.Reset();

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().SetRatingAsync(key, 8, CancellationToken.None));

        Assert.Equal(500, e.StatusCode);
        Assert.Contains("HTTP 500", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, plex.Counters.RequestsFor(RateRoute)); // 1 + MaxRetryAttempts (3 in tests)
        Assert.Null(plex.Library.GetUserRating(key));
    }

    [Fact]
    public async Task Rating_writes_succeed_through_intermittent_500s_and_dropped_connections()
    {
        await using var plex = await StartAsync(handRated: 0);
        await using var sp = Services(plex, retries: 8);
        var client = sp.GetRequiredService<IPlexClient>();
        var keys = plex.Library.TrackKeys(MusicKey(plex)).Take(40).ToList();
        plex.Options.Faults.Routes = [RateRoute];
        plex.Options.Faults.ServerErrorRate = 0.15;
        plex.Options.Faults.DropConnectionRate = 0.15;
        plex.Counters.Reset();

        foreach (var key in keys)
        {
            await client.SetRatingAsync(key, 6, CancellationToken.None);
        }

        Assert.All(keys, k => Assert.Equal(6.0, plex.Library.GetUserRating(k)));
        Assert.True(plex.Counters.ServerErrorsInjected > 0 && plex.Counters.ConnectionsDropped > 0, "faults were injected");
        Assert.Equal(keys.Count + plex.Counters.ServerErrorsInjected + plex.Counters.ConnectionsDropped, plex.Counters.RequestsFor(RateRoute));
    }

    [Fact]
    public async Task Listing_completes_through_intermittent_faults_without_duplicates_or_gaps()
    {
        await using var plex = await StartAsync(tracks: 600);
        await using var sp = Services(plex, pageSize: 50, retries: 8);
        var section = MusicKey(plex);
        plex.Options.Faults.Routes = ["/library/sections/"];
        plex.Options.Faults.ServerErrorRate = 0.15;
        plex.Options.Faults.DropConnectionRate = 0.15;

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync(section, new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(plex.Library.TrackKeys(section), tracks.Select(t => t.RatingKey));
        Assert.True(plex.Counters.ServerErrorsInjected + plex.Counters.ConnectionsDropped > 0, "faults were injected");
    }

    [Fact]
    public async Task A_server_slower_than_the_timeout_gives_a_timeout_error_naming_PLEX_TIMEOUT_SECONDS()
    {
        await using var plex = await StartAsync();
        await using var sp = Services(plex, timeoutSeconds: 1);
        plex.Options.Faults.SlowResponseRate = 1;
        plex.Options.Faults.SlowResponseDelay = TimeSpan.FromSeconds(5);
        plex.Counters.Reset();

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None));

        Assert.Contains("did not answer", e.Message, StringComparison.Ordinal);
        Assert.Contains("PLEX_TIMEOUT_SECONDS", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, plex.Counters.Requests); // timeouts are retried too
    }

    [Fact]
    public async Task A_token_fixed_in_the_settings_applies_to_the_next_request_without_a_restart()
    {
        await using var plex = await StartAsync();
        var config = new ConfigurationManager();
        config.AddInMemoryCollection(new Dictionary<string, string?> { ["Url"] = plex.BaseUri.ToString(), ["Token"] = "stale-token-1234" });
        await using var sp = PlexTestServices.Build("unused", "unused", services: s =>
        {
            s.RemoveAll<IConfigureOptions<PlexOptions>>();
            s.AddOptions<PlexOptions>().Bind(config);
        });
        var client = sp.GetRequiredService<IPlexClient>();
        await Assert.ThrowsAsync<PlexAuthenticationException>(() => client.GetLibrariesAsync(CancellationToken.None));

        config["Token"] = plex.Token;
        ((IConfigurationRoot)config).Reload();

        Assert.NotEmpty(await client.GetLibrariesAsync(CancellationToken.None));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
