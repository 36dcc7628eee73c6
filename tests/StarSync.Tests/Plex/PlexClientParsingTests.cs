using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using StarSync.Plex;

namespace StarSync.Tests.Plex;

/// <summary>Response shapes a real PMS (or another build of it) may send, served by an in-process stub.</summary>
[Trait("Category", "Unit")]
public sealed class PlexClientParsingTests
{

    [Fact]
    public async Task Numbers_and_strings_are_read_leniently_and_hoisted_section_id_applies_to_each_track()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json("""
            {"MediaContainer":{"size":2,"totalSize":"2","offset":0,"librarySectionID":7,
             "Metadata":[
               {"ratingKey":101,"type":"track","title":"A","parentTitle":"Album","grandparentTitle":"Artist","userRating":"10.0","addedAt":"1700000000"},
               {"ratingKey":"102","type":"track","title":"B","userRating":0,"addedAt":1700000001.0,"librarySectionID":"8","extra":{"nested":[1,2]}}
             ]}}
            """));
        await using var sp = stub.BuildServices();
        var client = sp.GetRequiredService<IPlexClient>();

        var tracks = await client.GetTracksAsync("7", new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(
            [
                new PlexTrack("101", "A", "Album", "Artist", 10.0, 1700000000, "7"),
                new PlexTrack("102", "B", null, null, 0.0, 1700000001, "8"),
            ],
            tracks);
    }

    [Fact]
    public async Task Missing_fields_are_fine_and_an_empty_rating_means_unrated()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json("""{"MediaContainer":{"Metadata":[{"ratingKey":"5","userRating":""}]}}"""));
        await using var sp = stub.BuildServices();

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync("1", new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal([new PlexTrack("5", "", null, null, null, 0, null)], tracks);
    }

    [Fact]
    public async Task Unrated_listing_skips_a_track_the_server_returned_with_a_rating_and_warns()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json("""
            {"MediaContainer":{"size":3,"totalSize":3,"offset":0,"Metadata":[
              {"ratingKey":"1","type":"track"},{"ratingKey":"2","type":"track","userRating":6.0},{"ratingKey":"3","type":"track","userRating":0}]}}
            """));
        await using var sp = stub.BuildServices();

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync("1", new TrackQuery(TrackFilter.Unrated), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(["1"], tracks.Select(t => t.RatingKey));
        Assert.Contains(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("2 tracks", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Requests_carry_the_token_and_client_headers_as_headers_never_in_the_url()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json("""{"MediaContainer":{"size":0,"totalSize":0}}"""));
        await using var sp = stub.BuildServices(token: "secret-token-abc");

        await sp.GetRequiredService<IPlexClient>().CountTracksAsync("1", new TrackQuery(), CancellationToken.None);

        var request = Assert.Single(stub.Requests);
        Assert.DoesNotContain("secret-token-abc", request.RequestUri!.ToString(), StringComparison.Ordinal);
        Assert.Equal("secret-token-abc", Assert.Single(request.Headers.GetValues("X-Plex-Token")));
        Assert.Equal("starsync-tests", Assert.Single(request.Headers.GetValues("X-Plex-Client-Identifier")));
        Assert.Equal("StarSync", Assert.Single(request.Headers.GetValues("X-Plex-Product")));
        Assert.False(string.IsNullOrEmpty(Assert.Single(request.Headers.GetValues("X-Plex-Version"))));
        Assert.Contains(request.Headers.Accept, a => a.MediaType == "application/json");
        Assert.Equal("0", Assert.Single(request.Headers.GetValues("X-Plex-Container-Size")));
    }

    [Fact]
    public async Task Missing_client_identifier_falls_back_to_a_stable_value()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json("""{"MediaContainer":{"size":0,"totalSize":0}}"""));
        await using var sp = stub.BuildServices(plex: o => o.ClientIdentifier = null);
        var client = sp.GetRequiredService<IPlexClient>();

        await client.CountTracksAsync("1", new TrackQuery(), CancellationToken.None);
        await client.CountTracksAsync("1", new TrackQuery(), CancellationToken.None);

        var ids = stub.Requests.Select(r => Assert.Single(r.Headers.GetValues("X-Plex-Client-Identifier"))).Distinct().ToList();
        Assert.Equal([PlexClient.FallbackClientIdentifier], ids);
    }

    [Fact]
    public async Task A_server_that_clamps_the_page_size_is_paged_by_what_it_returned()
    {
        // A server that returns at most 2 items whatever size is asked, out of 5.
        var stub = new StubPlexHandler(request =>
        {
            var start = int.Parse(request.Headers.GetValues("X-Plex-Container-Start").Single(), System.Globalization.CultureInfo.InvariantCulture);
            var items = string.Join(',', Enumerable.Range(start, Math.Max(0, Math.Min(2, 5 - start))).Select(i => $$"""{"ratingKey":"{{i}}","type":"track"}"""));
            return StubPlexHandler.Json($$$"""{"MediaContainer":{"offset":{{{start}}},"totalSize":5,"Metadata":[{{{items}}}]}}""");
        });
        await using var sp = stub.BuildServices(plex: o => o.PageSize = 1000);

        var tracks = await sp.GetRequiredService<IPlexClient>().GetTracksAsync("1", new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None);

        Assert.Equal(["0", "1", "2", "3", "4"], tracks.Select(t => t.RatingKey));
        Assert.Equal(3, stub.Requests.Count);
    }

    [Fact]
    public async Task An_html_answer_is_reported_as_not_plex()
    {
        var stub = new StubPlexHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("<html><body>Router login</body></html>", System.Text.Encoding.UTF8, "text/html"),
        });
        await using var sp = stub.BuildServices();

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetLibrariesAsync(CancellationToken.None));

        Assert.Contains("instead of JSON", e.Message, StringComparison.Ordinal);
        Assert.Contains("PLEX_URL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_json_is_a_PlexException_with_the_parse_error_inside()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Json("""{"MediaContainer":{"Metadata":[{"ratingKey":"1","userRating":"lots"}]}}"""));
        await using var sp = stub.BuildServices();

        var e = await Assert.ThrowsAsync<PlexException>(() => sp.GetRequiredService<IPlexClient>().GetTracksAsync("1", new TrackQuery(), CancellationToken.None).ToListAsync(CancellationToken.None).AsTask());

        Assert.IsType<System.Text.Json.JsonException>(e.InnerException);
    }

    [Fact]
    public async Task A_pasted_token_in_PLEX_URL_is_not_sent_in_the_url_nor_shown_in_errors()
    {
        var stub = new StubPlexHandler(_ => StubPlexHandler.Status(HttpStatusCode.Unauthorized));
        await using var sp = stub.BuildServices(token: "real-token-xyz", plex: o => o.Url = "http://plex.test:32400/?X-Plex-Token=pasted-token-xyz");

        var e = await Assert.ThrowsAsync<PlexAuthenticationException>(() => sp.GetRequiredService<IPlexClient>().GetServerInfoAsync(CancellationToken.None));

        Assert.DoesNotContain("pasted-token-xyz", Assert.Single(stub.Requests).RequestUri!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("token-xyz", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(sp.LogText(), l => l.Contains("token-xyz", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_info_and_libraries_are_read()
    {
        var stub = new StubPlexHandler(r => r.RequestUri!.AbsolutePath == "/"
            ? StubPlexHandler.Json("""{"MediaContainer":{"friendlyName":"Den","version":"1.41.0","machineIdentifier":"abc"}}""")
            : StubPlexHandler.Json("""{"MediaContainer":{"size":2,"Directory":[{"key":"1","title":"Movies","type":"movie"},{"key":3,"title":"Music","type":"artist","uuid":"u-3"}]}}"""));
        await using var sp = stub.BuildServices();
        var client = sp.GetRequiredService<IPlexClient>();

        var info = await client.GetServerInfoAsync(CancellationToken.None);
        var libraries = await client.GetLibrariesAsync(CancellationToken.None);

        Assert.Equal(new PlexServerInfo("Den", "1.41.0", "abc"), info);
        Assert.Equal([new PlexLibrary("1", "Movies", "movie", null), new PlexLibrary("3", "Music", "artist", "u-3")], libraries);
        Assert.True(libraries[1].IsMusic);
    }
}
