using System.Text.Json.Serialization;

namespace StarSync.Plex;

// Wire shapes of PMS JSON (Accept: application/json). Every field is optional and the numeric ones
// accept strings too: PMS versions and third-party servers disagree on types (plex-api.md §2).

/// <summary>The envelope every PMS JSON answer has: <c>{"MediaContainer": {...}}</c>.</summary>
internal sealed class PlexResponse<T> where T : class
{
    [JsonPropertyName("MediaContainer")]
    public T? MediaContainer { get; set; }
}

/// <summary><c>GET /</c>: server attributes.</summary>
internal sealed class PlexServerContainer
{
    [JsonPropertyName("friendlyName")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? FriendlyName { get; set; }

    [JsonPropertyName("version")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Version { get; set; }

    [JsonPropertyName("machineIdentifier")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? MachineIdentifier { get; set; }
}

/// <summary><c>GET /library/sections</c>: one <c>Directory</c> per section.</summary>
internal sealed class PlexSectionsContainer
{
    [JsonPropertyName("Directory")]
    public List<PlexSectionDto>? Directory { get; set; }
}

internal sealed class PlexSectionDto
{
    [JsonPropertyName("key")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Key { get; set; }

    [JsonPropertyName("title")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Title { get; set; }

    [JsonPropertyName("type")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Type { get; set; }

    [JsonPropertyName("uuid")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Uuid { get; set; }

    [JsonPropertyName("agent")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Agent { get; set; }

    [JsonPropertyName("scanner")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Scanner { get; set; }

    /// <summary>
    /// <c>hidden="1"</c>: the owner hid the library in Plex (plex-api.md §3). Read as text: any value but 0/false/absent
    /// counts as hidden, so a value we have not seen (PMS has more than one way to hide) never breaks the listing.
    /// </summary>
    [JsonPropertyName("hidden")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Hidden { get; set; }

    /// <summary>True unless <see cref="Hidden"/> is absent, 0 or false.</summary>
    [JsonIgnore]
    public bool IsHidden => Hidden?.Trim() is { Length: > 0 } h && h != "0" && !h.Equals("false", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A listing or metadata answer: paging attributes, hoisted attributes and the <c>Metadata</c> items.</summary>
internal sealed class PlexMetadataContainer
{
    [JsonPropertyName("size")]
    [JsonConverter(typeof(PlexLenientInt32Converter))]
    public int? Size { get; set; }

    [JsonPropertyName("totalSize")]
    [JsonConverter(typeof(PlexLenientInt32Converter))]
    public int? TotalSize { get; set; }

    [JsonPropertyName("offset")]
    [JsonConverter(typeof(PlexLenientInt32Converter))]
    public int? Offset { get; set; }

    /// <summary>Hoisted on <c>/all</c> listings, where the tracks themselves lack it.</summary>
    [JsonPropertyName("librarySectionID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? LibrarySectionId { get; set; }

    /// <summary>Hoisted on an album's children (the album title for its tracks).</summary>
    [JsonPropertyName("parentTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ParentTitle { get; set; }

    /// <summary>Hoisted on an album's children (the album artist for its tracks).</summary>
    [JsonPropertyName("grandparentTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? GrandparentTitle { get; set; }

    [JsonPropertyName("Metadata")]
    public List<PlexMetadataDto>? Metadata { get; set; }
}

/// <summary>One item of a <c>Metadata</c> array (track, album, artist or anything else).</summary>
internal sealed class PlexMetadataDto
{
    [JsonPropertyName("ratingKey")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? RatingKey { get; set; }

    [JsonPropertyName("type")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Type { get; set; }

    [JsonPropertyName("title")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Title { get; set; }

    [JsonPropertyName("parentTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ParentTitle { get; set; }

    [JsonPropertyName("grandparentTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? GrandparentTitle { get; set; }

    /// <summary>0..10; absent when unrated.</summary>
    [JsonPropertyName("userRating")]
    [JsonConverter(typeof(PlexLenientDoubleConverter))]
    public double? UserRating { get; set; }

    /// <summary>Epoch seconds.</summary>
    [JsonPropertyName("addedAt")]
    [JsonConverter(typeof(PlexLenientInt64Converter))]
    public long? AddedAt { get; set; }

    [JsonPropertyName("librarySectionID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? LibrarySectionId { get; set; }

    /// <summary>The album of a track, the artist of an album.</summary>
    [JsonPropertyName("parentRatingKey")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ParentRatingKey { get; set; }

    /// <summary>The album artist of a track.</summary>
    [JsonPropertyName("grandparentRatingKey")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? GrandparentRatingKey { get; set; }

    /// <summary>Plays of the token's account; absent = 0.</summary>
    [JsonPropertyName("viewCount")]
    [JsonConverter(typeof(PlexLenientInt32Converter))]
    public int? ViewCount { get; set; }

    /// <summary>Skips of the token's account; absent when none.</summary>
    [JsonPropertyName("skipCount")]
    [JsonConverter(typeof(PlexLenientInt32Converter))]
    public int? SkipCount { get; set; }

    /// <summary>Epoch seconds of the last play; absent when never played.</summary>
    [JsonPropertyName("lastViewedAt")]
    [JsonConverter(typeof(PlexLenientInt64Converter))]
    public long? LastViewedAt { get; set; }

    /// <summary>Milliseconds.</summary>
    [JsonPropertyName("duration")]
    [JsonConverter(typeof(PlexLenientInt64Converter))]
    public long? Duration { get; set; }

    [JsonPropertyName("Genre")]
    public List<PlexTagDto>? Genre { get; set; }

    [JsonPropertyName("Mood")]
    public List<PlexTagDto>? Mood { get; set; }

    [JsonPropertyName("Style")]
    public List<PlexTagDto>? Style { get; set; }

    [JsonPropertyName("Format")]
    public List<PlexTagDto>? Format { get; set; }

    [JsonPropertyName("Subformat")]
    public List<PlexTagDto>? Subformat { get; set; }

    /// <summary>Locked fields (a bulk edit with <c>field.locked=1</c> shows up here).</summary>
    [JsonPropertyName("Field")]
    public List<PlexFieldDto>? Field { get; set; }
}

/// <summary>A tag child (<c>{"tag":"Rock"}</c>) of a Genre, Mood, Style, Format or Subformat list.</summary>
internal sealed class PlexTagDto
{
    [JsonPropertyName("tag")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Tag { get; set; }
}

/// <summary>A <c>Field</c> child: <c>{"locked":true,"name":"userRating"}</c>.</summary>
internal sealed class PlexFieldDto
{
    [JsonPropertyName("name")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Name { get; set; }

    [JsonPropertyName("locked")]
    [JsonConverter(typeof(PlexLenientBoolConverter))]
    public bool? Locked { get; set; }
}

/// <summary>Source-generated (de)serialisers for the PMS shapes StarSync reads.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(PlexResponse<PlexServerContainer>))]
[JsonSerializable(typeof(PlexResponse<PlexSectionsContainer>))]
[JsonSerializable(typeof(PlexResponse<PlexMetadataContainer>))]
internal sealed partial class PlexJsonContext : JsonSerializerContext;
