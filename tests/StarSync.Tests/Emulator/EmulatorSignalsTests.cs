using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;

namespace StarSync.Tests.Emulator;

/// <summary>Listening signals on tracks and tag children on albums, as PMS lists them (plex-api.md §5).</summary>
[Trait("Category", "Integration")]
public sealed class EmulatorSignalsTests(SharedEmulatorFixture fixture) : IClassFixture<SharedEmulatorFixture>
{
    private const string Tracks = "/library/sections/1/all?type=10";
    private const string Albums = "/library/sections/1/all?type=9";

    [Fact]
    public async Task Track_listing_carries_plays_skips_last_played_and_duration_and_omits_zero_counts()
    {
        var page = await fixture.Xml.GetXmlAsync(Tracks);
        var lib = fixture.Server.Library;

        foreach (var track in page.Elements("Track"))
        {
            var key = (string)track.Attribute("ratingKey")!;
            var truth = lib.GetTrackSignals(key);
            Assert.Equal(truth.ViewCount == 0 ? null : truth.ViewCount.ToString(CultureInfo.InvariantCulture), (string?)track.Attribute("viewCount"));
            Assert.Equal(truth.SkipCount == 0 ? null : truth.SkipCount.ToString(CultureInfo.InvariantCulture), (string?)track.Attribute("skipCount"));
            Assert.Equal(truth.LastViewedAt?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), (string?)track.Attribute("lastViewedAt"));
            Assert.Equal(truth.DurationMs, track.IntAttr("duration"));
            Assert.Empty(track.Elements("Genre"));
        }
    }

    [Fact]
    public void Generated_signals_are_realistic_mixes_with_short_interludes()
    {
        var lib = fixture.Server.Library;
        var signals = lib.TrackKeys("1").Concat(lib.TrackKeys("2")).Select(lib.GetTrackSignals).ToList();

        Assert.InRange(signals.Count(s => s.ViewCount > 0), signals.Count / 5, signals.Count / 2);
        Assert.InRange(signals.Count(s => s.SkipCount > 0), signals.Count / 12, signals.Count / 3);
        Assert.InRange(signals.Count(s => s.DurationMs < 90_000), 10, signals.Count / 8);
        Assert.All(signals.Where(s => s.ViewCount == 0), s => Assert.Null(s.LastViewedAt));
        Assert.All(signals.Where(s => s.LastViewedAt is not null), s => Assert.True(s.LastViewedAt >= s.AddedAt));
    }

    [Fact]
    public async Task Album_listing_carries_genre_mood_style_format_and_subformat_tags_in_xml()
    {
        var page = await fixture.Xml.GetXmlAsync(Albums);
        var lib = fixture.Server.Library;
        var albums = page.Elements("Directory").ToList();

        Assert.Equal(lib.AlbumKeys("1").Count, albums.Count);
        foreach (var album in albums)
        {
            var truth = lib.GetAlbumTags((string)album.Attribute("ratingKey")!);
            Assert.Equal(truth.Genres, Tags(album, "Genre"));
            Assert.Equal(truth.Moods, Tags(album, "Mood"));
            Assert.Equal(truth.Styles, Tags(album, "Style"));
            Assert.Equal(["Album"], Tags(album, "Format"));
            Assert.Equal(truth.Subformats, Tags(album, "Subformat"));
            Assert.NotEmpty(truth.Genres);
        }
    }

    [Fact]
    public async Task Album_listing_carries_the_same_tags_in_json_as_tag_arrays()
    {
        var root = await fixture.Json.GetJsonAsync("/library/sections/2/all?type=9");
        var lib = fixture.Server.Library;
        var count = 0;
        foreach (var album in root.GetProperty("Metadata").EnumerateArray())
        {
            var truth = lib.GetAlbumTags(album.GetProperty("ratingKey").GetString()!);
            Assert.Equal(truth.Genres, JsonTags(album, "Genre"));
            Assert.Equal(truth.Styles, JsonTags(album, "Style"));
            Assert.Equal(truth.Subformats, JsonTags(album, "Subformat"));
            count++;
        }

        Assert.Equal(lib.AlbumKeys("2").Count, count);
    }

    [Fact]
    public void Live_and_compilation_albums_exist_and_some_lack_a_subformat()
    {
        var lib = fixture.Server.Library;
        var albums = lib.AlbumKeys("1").Concat(lib.AlbumKeys("2")).ToList();
        var live = albums.Where(a => lib.GetAlbumKind(a).Live).ToList();

        Assert.NotEmpty(live);
        Assert.Contains(live, a => lib.GetAlbumTags(a).Subformats.SequenceEqual(["Live"]));
        Assert.Contains(live, a => lib.GetAlbumTags(a).Subformats.Count == 0);
        Assert.All(albums.Where(a => lib.GetAlbumTags(a).Subformats.Contains("Live")), a => Assert.True(lib.GetAlbumKind(a).Live));
    }

    [Fact]
    public async Task Same_seed_gives_the_same_signals_and_tags()
    {
        await using var other = await EmulatorTestHost.StartAsync(o =>
        {
            o.MusicLibraries = 2;
            o.HandRatedShare = 0.3;
        }, tracks: 900);
        var lib = fixture.Server.Library;

        // Dates follow the clock at generation; counts, durations and tags follow the seed alone.
        Assert.Equal(
            lib.TrackKeys("1").Select(k => (lib.GetTrackSignals(k).ViewCount, lib.GetTrackSignals(k).SkipCount, lib.GetTrackSignals(k).DurationMs)),
            other.Library.TrackKeys("1").Select(k => (other.Library.GetTrackSignals(k).ViewCount, other.Library.GetTrackSignals(k).SkipCount, other.Library.GetTrackSignals(k).DurationMs)));
        Assert.Equal(
            lib.AlbumKeys("1").Select(a => string.Join('|', lib.GetAlbumTags(a).Genres.Concat(lib.GetAlbumTags(a).Moods))),
            other.Library.AlbumKeys("1").Select(a => string.Join('|', other.Library.GetAlbumTags(a).Genres.Concat(other.Library.GetAlbumTags(a).Moods))));
    }

    private static string[] Tags(XElement item, string kind) => item.Elements(kind).Select(e => (string)e.Attribute("tag")!).ToArray();

    private static string[] JsonTags(JsonElement item, string kind) =>
        item.TryGetProperty(kind, out var list) ? list.EnumerateArray().Select(e => e.GetProperty("tag").GetString()!).ToArray() : [];
}
