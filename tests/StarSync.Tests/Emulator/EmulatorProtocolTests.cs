using System.Net;
using System.Text.Json;

namespace StarSync.Tests.Emulator;

/// <summary>Authentication, content negotiation and the shapes PMS answers with (plex-api.md §1–3, §5, §8).</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorProtocolTests(SharedEmulatorFixture fixture) : IClassFixture<SharedEmulatorFixture>
{
    private const string Stub401 = "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>";

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Request_without_a_valid_token_header_gets_401_html_stub(string? token)
    {
        using var client = new HttpClient { BaseAddress = fixture.Server.BaseUri };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Add("X-Plex-Token", token);
        }

        using var response = await client.GetAsync("/library/sections", CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1.0", response.Headers.GetValues("X-Plex-Protocol").Single());
        Assert.Equal(Stub401, await response.Content.ReadAsStringAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Token_in_query_is_accepted_and_a_wrong_one_is_refused()
    {
        using var client = new HttpClient { BaseAddress = fixture.Server.BaseUri };

        using var ok = await client.GetAsync("/library/sections?X-Plex-Token=" + fixture.Server.Token, CancellationToken.None);
        using var bad = await client.GetAsync("/library/sections?X-Plex-Token=nope", CancellationToken.None);
        using var unknownPath = await client.GetAsync("/no/such/path", CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownPath.StatusCode);
    }

    [Fact]
    public async Task Identity_needs_no_token()
    {
        using var client = new HttpClient { BaseAddress = fixture.Server.BaseUri };

        var identity = await client.GetXmlAsync("/identity");

        Assert.Equal("MediaContainer", identity.Name.LocalName);
        Assert.Equal("1", (string?)identity.Attribute("claimed"));
        Assert.Equal(fixture.Server.MachineIdentifier, (string?)identity.Attribute("machineIdentifier"));
        Assert.NotNull(identity.Attribute("version"));
    }

    [Fact]
    public async Task Unknown_path_with_token_is_404_html()
    {
        using var response = await EmulatorTestHost.SendAsync(fixture.Xml, HttpMethod.Get, "/library/nothing/here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Root_carries_server_attributes()
    {
        var root = await fixture.Xml.GetXmlAsync("/?X-Plex-Product=test&X-Plex-Version=1");

        Assert.Equal("Emulated Plex", (string?)root.Attribute("friendlyName"));
        Assert.Equal(fixture.Server.MachineIdentifier, (string?)root.Attribute("machineIdentifier"));
        Assert.Equal("1", (string?)root.Attribute("myPlex"));
    }

    [Fact]
    public async Task Sections_in_xml_list_music_as_artist_plus_a_movie_section()
    {
        var sections = await fixture.Xml.GetXmlAsync("/library/sections");

        var dirs = sections.Elements("Directory").ToList();
        Assert.Equal(3, sections.IntAttr("size"));
        Assert.Equal(["Music", "Live Music", "Movies"], dirs.Select(d => (string)d.Attribute("title")!));
        Assert.Equal(["artist", "artist", "movie"], dirs.Select(d => (string)d.Attribute("type")!));
        var music = dirs[0];
        Assert.Equal("1", (string?)music.Attribute("key"));
        Assert.Equal("tv.plex.agents.music", (string?)music.Attribute("agent"));
        Assert.Equal("Plex Music", (string?)music.Attribute("scanner"));
        Assert.Equal(fixture.Server.Library.Sections[0].Uuid, (string?)music.Attribute("uuid"));
        Assert.NotNull(music.Element("Location")?.Attribute("path"));
    }

    [Fact]
    public async Task Sections_in_json_use_a_Directory_array()
    {
        var sections = await fixture.Json.GetJsonAsync("/library/sections");

        var first = sections.GetProperty("Directory")[0];
        Assert.Equal("1", first.GetProperty("key").GetString());
        Assert.Equal("artist", first.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Array, first.GetProperty("Location").ValueKind);
        Assert.Equal(3, sections.GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task Track_listing_in_xml_uses_Track_elements_with_section_hoisted_to_container()
    {
        var page = await fixture.Xml.GetXmlAsync("/library/sections/1/all?type=10", start: 0, size: 5);

        Assert.Equal("1", (string?)page.Attribute("librarySectionID"));
        Assert.Equal("Music", (string?)page.Attribute("librarySectionTitle"));
        Assert.NotNull(page.Attribute("librarySectionUUID"));
        var track = page.Elements("Track").First();
        Assert.Null(track.Attribute("librarySectionID"));
        Assert.Equal("track", (string?)track.Attribute("type"));
        Assert.Equal("/library/metadata/" + (string)track.Attribute("ratingKey")!, (string?)track.Attribute("key"));
        foreach (var name in new[] { "title", "parentTitle", "grandparentTitle", "parentRatingKey", "grandparentRatingKey", "index", "parentIndex", "duration", "addedAt" })
        {
            Assert.NotNull(track.Attribute(name));
        }

        Assert.NotNull(track.Element("Media")?.Element("Part")?.Attribute("file"));
    }

    [Fact]
    public async Task Track_listing_in_json_uses_Metadata_with_string_ratingKey_and_numeric_section()
    {
        var page = await fixture.Json.GetJsonAsync("/library/sections/1/all?type=10&X-Plex-Container-Start=0&X-Plex-Container-Size=3");

        Assert.Equal(JsonValueKind.Number, page.GetProperty("librarySectionID").ValueKind);
        Assert.Equal(3, page.GetProperty("size").GetInt32());
        var items = page.GetProperty("Metadata");
        Assert.Equal(3, items.GetArrayLength());
        Assert.Equal(JsonValueKind.String, items[0].GetProperty("ratingKey").ValueKind);
        Assert.Equal(JsonValueKind.Number, items[0].GetProperty("index").ValueKind);
        Assert.Equal("track", items[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Ratings_are_floats_and_unrated_items_have_no_userRating()
    {
        var lib = fixture.Server.Library;
        var keys = lib.TrackKeys("1");
        var rated = keys.First(k => lib.GetUserRating(k) is >= 1);
        var unrated = keys.First(k => lib.GetUserRating(k) is null);

        var xml = await fixture.Xml.GetXmlAsync($"/library/metadata/{rated},{unrated}");
        var json = await fixture.Json.GetJsonAsync($"/library/metadata/{rated}");

        var tracks = xml.Elements("Track").ToList();
        Assert.Matches(@"^\d+\.\d+$", (string)tracks[0].Attribute("userRating")!);
        Assert.NotNull(tracks[0].Attribute("lastRatedAt"));
        Assert.Null(tracks[1].Attribute("userRating"));
        Assert.Equal("1", (string?)tracks[0].Attribute("librarySectionID"));
        Assert.Equal(lib.GetUserRating(rated), json.GetProperty("Metadata")[0].GetProperty("userRating").GetDouble());
        Assert.Contains(".", json.GetProperty("Metadata")[0].GetProperty("userRating").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_metadata_is_404()
    {
        Assert.Equal(404, await fixture.Xml.StatusOfAsync(HttpMethod.Get, "/library/metadata/99999999"));
        Assert.Equal(404, await fixture.Xml.StatusOfAsync(HttpMethod.Get, "/library/metadata/abc"));
        Assert.Equal(404, await fixture.Xml.StatusOfAsync(HttpMethod.Get, "/library/sections/77/all"));
    }

    [Fact]
    public async Task Album_children_are_its_tracks_with_parent_data_hoisted()
    {
        var lib = fixture.Server.Library;
        var track = lib.TrackKeys("1")[20];
        var album = lib.GetParentKey(track)!;
        var artist = lib.GetParentKey(album)!;

        var children = await fixture.Xml.GetXmlAsync($"/library/metadata/{album}/children");

        Assert.Equal(lib.GetTitle(album), (string?)children.Attribute("parentTitle"));
        Assert.Equal(lib.GetTitle(artist), (string?)children.Attribute("grandparentTitle"));
        Assert.Contains(track, children.Keys());
        Assert.All(children.Elements("Track"), t => Assert.Equal(album, (string?)t.Attribute("parentRatingKey")));
        Assert.Equal(children.IntAttr("size"), children.Elements("Track").Count());
    }

    [Fact]
    public async Task Artist_children_are_albums_and_allLeaves_are_all_its_tracks()
    {
        var lib = fixture.Server.Library;
        var artist = lib.ArtistKeys("1")[0];
        var expectedTracks = lib.TrackKeys("1").Where(t => lib.GetParentKey(lib.GetParentKey(t)!) == artist).ToHashSet();

        var albums = await fixture.Xml.GetXmlAsync($"/library/metadata/{artist}/children");
        var leaves = await fixture.Xml.GetXmlAsync($"/library/metadata/{artist}/allLeaves");

        Assert.All(albums.Elements("Directory"), a => Assert.Equal("album", (string?)a.Attribute("type")));
        Assert.NotEmpty(albums.Elements("Directory"));
        Assert.Equal(expectedTracks, leaves.Keys().ToHashSet());
    }

    [Fact]
    public async Task IncludeMeta_returns_the_sorts_and_operators_python_plexapi_validates_against()
    {
        var meta = await fixture.Xml.GetXmlAsync(
            "/library/sections/1/all?includeMeta=1&includeAdvanced=1&X-Plex-Container-Start=0&X-Plex-Container-Size=0");

        Assert.Equal(0, meta.IntAttr("size"));
        var types = meta.Element("Meta")!.Elements("Type").ToList();
        var track = types.Single(t => (string?)t.Attribute("type") == "track");
        Assert.Contains(track.Elements("Sort"), s => (string?)s.Attribute("key") == "addedAt");
        Assert.Contains(track.Elements("Field"), f => (string?)f.Attribute("key") == "track.userRating");
        Assert.Contains(meta.Element("Meta")!.Elements("FieldType"), f => (string?)f.Attribute("type") == "integer");
    }
}
