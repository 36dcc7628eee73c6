using System.Text.Json.Serialization;
using StarSync.Plex;

namespace StarSync.Notifications;

/// <summary>
/// One text frame of Plex's notification websocket (plex-api.md §9b): <c>{"NotificationContainer":{"type":…,"size":N,…}}</c>.
/// Only the arrays StarSync acts on are read; every other property (and type) is skipped by the reader.
/// </summary>
internal sealed class NotificationFrame
{
    [JsonPropertyName("NotificationContainer")]
    public NotificationContainer? Container { get; set; }
}

/// <summary>The container: its type names the array that holds the entries; a frame may carry several entries.</summary>
internal sealed class NotificationContainer
{
    [JsonPropertyName("type")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Type { get; set; }

    [JsonPropertyName("TimelineEntry")]
    public List<TimelineEntry?>? Timeline { get; set; }

    [JsonPropertyName("ActivityNotification")]
    public List<ActivityNotification?>? Activities { get; set; }

    [JsonPropertyName("StatusNotification")]
    public List<StatusNotification?>? Statuses { get; set; }
}

/// <summary>A library item changing state. Numbers may come as strings and the other way round: read leniently.</summary>
internal sealed class TimelineEntry
{
    [JsonPropertyName("identifier")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Identifier { get; set; }

    [JsonPropertyName("sectionID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? SectionId { get; set; }

    [JsonPropertyName("itemID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ItemId { get; set; }

    [JsonPropertyName("parentItemID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? ParentItemId { get; set; }

    /// <summary>8 artist, 9 album, 10 track; -1 occurs.</summary>
    [JsonPropertyName("type")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Type { get; set; }

    [JsonPropertyName("title")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Title { get; set; }

    /// <summary>0 created, 1 progress, 2 matching, 3 downloading, 4 processing, 5 processed, 9 deleted.</summary>
    [JsonPropertyName("state")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? State { get; set; }
}

/// <summary>A server activity (a scan of a section, a refresh of items…).</summary>
internal sealed class ActivityNotification
{
    /// <summary>started, updated or ended.</summary>
    [JsonPropertyName("event")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Event { get; set; }

    [JsonPropertyName("uuid")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Uuid { get; set; }

    [JsonPropertyName("Activity")]
    public ActivityDetail? Activity { get; set; }
}

/// <summary>What an activity is about.</summary>
internal sealed class ActivityDetail
{
    /// <summary>e.g. library.update.section, library.refresh.items.</summary>
    [JsonPropertyName("type")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Type { get; set; }

    [JsonPropertyName("title")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Title { get; set; }

    [JsonPropertyName("Context")]
    public ActivityContext? Context { get; set; }
}

/// <summary>The activity's subject.</summary>
internal sealed class ActivityContext
{
    [JsonPropertyName("librarySectionID")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? LibrarySectionId { get; set; }
}

/// <summary>A status line, e.g. "Library scan complete".</summary>
internal sealed class StatusNotification
{
    [JsonPropertyName("title")]
    [JsonConverter(typeof(PlexLenientStringConverter))]
    public string? Title { get; set; }
}

/// <summary>Source-generated reader; MaxDepth bounds nesting so a hostile frame is a parse error, not a stack dive.</summary>
[JsonSourceGenerationOptions(MaxDepth = 16)]
[JsonSerializable(typeof(NotificationFrame))]
internal sealed partial class NotificationJsonContext : JsonSerializerContext;
