using System.Text.Json.Serialization;
using StarSync.Plex;

namespace StarSync.Automation;

/// <summary>The parts of a Plex webhook payload StarSync reads (plex-api.md §9); everything else is skipped.</summary>
public sealed class WebhookPayload
{
    [JsonPropertyName("event")]
    public string? Event { get; set; }

    [JsonPropertyName("Metadata")]
    public WebhookMetadata? Metadata { get; set; }
}

/// <summary>The item a webhook is about.</summary>
public sealed class WebhookMetadata
{
    [JsonPropertyName("ratingKey")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? RatingKey { get; set; }

    /// <summary>track, album or artist for music.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("title")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Title { get; set; }

    /// <summary>The album of a track.</summary>
    [JsonPropertyName("parentRatingKey")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ParentRatingKey { get; set; }

    [JsonPropertyName("parentTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ParentTitle { get; set; }

    [JsonPropertyName("grandparentTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? GrandparentTitle { get; set; }

    /// <summary>"artist" for music libraries.</summary>
    [JsonPropertyName("librarySectionType")]
    public string? LibrarySectionType { get; set; }

    [JsonPropertyName("librarySectionTitle")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? LibrarySectionTitle { get; set; }

    /// <summary>A number from PMS; some senders write a string.</summary>
    [JsonPropertyName("librarySectionID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? LibrarySectionId { get; set; }

    /// <summary>"Artist – Album – Track" as far as the payload tells, for the dashboard.</summary>
    public string? Describe()
    {
        string?[] parts = Type switch
        {
            "track" => [GrandparentTitle, ParentTitle, Title],
            "album" => [ParentTitle, Title],
            _ => [Title],
        };
        var text = string.Join(" – ", parts.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => WebhookReceiver.Clean(p!)));
        return text.Length == 0 ? null : text;
    }
}

/// <summary>
/// Source-generated reader. MaxDepth bounds nesting (PMS payloads are 3 levels deep), so a "JSON bomb" of nested
/// arrays is a 400, not a stack dive; unknown properties are skipped.
/// </summary>
[JsonSourceGenerationOptions(MaxDepth = 32)]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class WebhookJsonContext : JsonSerializerContext;
