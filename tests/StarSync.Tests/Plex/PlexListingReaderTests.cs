using System.Buffers;
using System.Text;
using System.Text.Json;
using StarSync.Plex;
using StarSync.PlexEmulator;

namespace StarSync.Tests.Plex;

/// <summary>
/// The streaming listing reader against the source-generated DTO deserializer it replaced on the listing path: same
/// fields, same leniency (plex-api.md §2, §4, §5), on the emulator's real pages and on odd shapes other servers send.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PlexListingReaderTests
{
    [Fact]
    public void Odd_values_are_read_as_the_serializer_read_them()
    {
        // ratingKey as a number, floats as strings ("10.0"), "" as absent, booleans for locked, hoisted section id,
        // names in another case, an escaped name, fields StarSync does not read (nested Media/Part), a null item.
        const string json = """
            {"MediaContainer":{"size":"3","TOTALSIZE":3,"offset":0.0,"librarySectionID":7,"parentTitle":"Hoisted album","grandparentTitle":"Hoisted artist",
             "Metadata":[
               {"ratingKey":101,"key":"/library/metadata/101","guid":"plex://track/x","type":"track","title":"A","parentTitle":"Album","grandparentTitle":"Artist",
                "userRating":"10.0","addedAt":"1700000000","viewCount":"3","skipCount":2.0,"lastViewedAt":1700000100.5,"duration":"215000",
                "parentRatingKey":55,"grandparentRatingKey":"66","librarySectionID":"8",
                "Media":[{"id":1,"Part":[{"file":"/m/a.flac","size":123}]}],
                "Genre":[{"tag":"Rock"},{"tag":" Pop ","id":4}],"Mood":null,"Style":[],"Format":[{"tag":"Album"}],"Subformat":[{"tag":"Live"}],
                "Field":[{"locked":"1","name":"userRating"},{"locked":0,"name":"title"}]},
               {"ratingKey":"102","type":"track","userRating":"","viewCount":"","Title":"Case","\u0074ype":"track"},
               null
             ]}}
            """;

        var expected = Serializer(json);
        var actual = PlexListingReader.Read(Sequence(json))!;

        AssertSame(expected, actual);
        Assert.Equal(3, actual.Metadata!.Count);
        Assert.Equal("101", actual.Metadata[0].RatingKey);
        Assert.Equal(10.0, actual.Metadata[0].UserRating);
        Assert.Equal(1700000100, actual.Metadata[0].LastViewedAt);
        Assert.Equal(2, actual.Metadata[0].SkipCount);
        Assert.Equal("Case", actual.Metadata[1].Title);
        Assert.Null(actual.Metadata[1].UserRating);
        Assert.Null(actual.Metadata[2].RatingKey);
    }

    [Fact]
    public void Missing_fields_and_an_answer_without_Metadata_are_fine()
    {
        var container = PlexListingReader.Read(Sequence("""{"MediaContainer":{"size":0,"totalSize":1234}}"""))!;

        Assert.Equal(1234, container.TotalSize);
        Assert.Null(container.Metadata);
        Assert.Null(container.Offset);
        Assert.Null(PlexListingReader.Read(Sequence("""{"other":{"MediaContainer":1}}""")));
        Assert.Null(PlexListingReader.Read(Sequence("null")));
    }

    [Theory]
    [InlineData("""{"MediaContainer":{"Metadata":[{"ratingKey":"1","userRating":"high"}]}}""")]
    [InlineData("""{"MediaContainer":{"Metadata":[{"ratingKey":"1","Genre":"Rock"}]}}""")]
    [InlineData("""{"MediaContainer":{"Metadata":{"ratingKey":"1"}}}""")]
    [InlineData("""{"MediaContainer":{"Metadata":[{"ratingKey":"1","viewCount":99999999999}]}}""")]
    [InlineData("""{"MediaContainer":{"Metadata":[{"ratingKey":"1",}]}}""")]
    [InlineData("""{"MediaContainer":{"Metadata":[{"ratingKey":"1"}""")]
    [InlineData("<html><body>Plex Web</body></html>")]
    public void A_field_of_the_wrong_shape_or_broken_json_is_a_JsonException(string json)
    {
        Assert.ThrowsAny<JsonException>(() => PlexListingReader.Read(Sequence(json)));
    }

    [Fact]
    public async Task The_emulators_pages_read_the_same_as_with_the_serializer_also_split_into_tiny_segments()
    {
        await using var plex = await PlexEmulatorServer.StartAsync(new EmulatorOptions { Tracks = 400, Seed = 3, HandRatedShare = 0.3 });
        using var http = new HttpClient { BaseAddress = plex.BaseUri };
        http.DefaultRequestHeaders.Add("X-Plex-Token", plex.Token);
        http.DefaultRequestHeaders.Add("Accept", "application/json");
        var section = plex.Library.Sections.First(s => s.IsMusic).Key;
        var compared = 0;
        foreach (var path in new[] { $"/library/sections/{section}/all?type=10", $"/library/sections/{section}/all?type=9", $"/library/sections/{section}/all?type=10&userRating!=-1" })
        {
            var json = await http.GetStringAsync(path);

            var expected = Serializer(json);
            AssertSame(expected, PlexListingReader.Read(Sequence(json))!);
            AssertSame(expected, PlexListingReader.Read(Sequence(json, segment: 7))!);
            compared += expected.Metadata!.Count;
        }

        // Every track twice (all, rated) and every album; the comparison saw the signals and tags the rules read.
        Assert.True(compared > 400, $"compared {compared} items");
    }

    private static PlexMetadataContainer Serializer(string json) =>
        JsonSerializer.Deserialize(json, PlexJsonContext.Default.PlexResponsePlexMetadataContainer)!.MediaContainer!;

    private static void AssertSame(PlexMetadataContainer expected, PlexMetadataContainer actual)
    {
        Assert.Equal((expected.Size, expected.TotalSize, expected.Offset, expected.LibrarySectionId, expected.ParentTitle, expected.GrandparentTitle),
            (actual.Size, actual.TotalSize, actual.Offset, actual.LibrarySectionId, actual.ParentTitle, actual.GrandparentTitle));
        Assert.Equal(expected.Metadata?.Count, actual.Metadata?.Count);
        for (var i = 0; i < (expected.Metadata?.Count ?? 0); i++)
        {
            Assert.Equal(Describe(expected.Metadata![i]), Describe(actual.Metadata![i]));
        }
    }

    // Every field of the DTO, tags and locked fields included, as one comparable string. A null item reads as an item
    // without fields (the reader keeps it so page counts match; the client skips items without a ratingKey).
    private static string Describe(PlexMetadataDto? item)
    {
        item ??= new PlexMetadataDto();
        return string.Join('|',
            item.RatingKey, item.Type, item.Title, item.ParentTitle, item.GrandparentTitle, item.UserRating, item.AddedAt, item.LibrarySectionId,
            item.ParentRatingKey, item.GrandparentRatingKey, item.ViewCount, item.SkipCount, item.LastViewedAt, item.Duration,
            Tags(item.Genre), Tags(item.Mood), Tags(item.Style), Tags(item.Format), Tags(item.Subformat),
            item.Field is null ? "-" : string.Join(',', item.Field.Select(f => $"{f.Name}={f.Locked}")));
    }

    private static string Tags(List<PlexTagDto>? tags) => tags is null ? "-" : "[" + string.Join(',', tags.Select(t => t?.Tag)) + "]";

    /// <summary>The JSON as a sequence of segments of <paramref name="segment"/> bytes (names and values straddle them).</summary>
    private static ReadOnlySequence<byte> Sequence(string json, int segment = int.MaxValue)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        if (segment >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Chunk? first = null;
        Chunk? last = null;
        for (var at = 0; at < bytes.Length; at += segment)
        {
            var chunk = new Chunk(bytes.AsMemory(at, Math.Min(segment, bytes.Length - at)), at);
            first ??= chunk;
            last?.Link(chunk);
            last = chunk;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void Link(Chunk next) => Next = next;
    }
}
