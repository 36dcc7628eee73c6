namespace StarSync.Plex;

/// <summary>Source-generated log definitions for the Plex client. No template ever carries the token.</summary>
internal static partial class PlexLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Plex {Method} {Path} answered {StatusCode} in {ElapsedMs} ms")]
    public static partial void RequestCompleted(ILogger logger, string method, string path, int statusCode, long elapsedMs);

    // No exception here: one line with the cause. The stack trace is RequestFailedDetail's, at Debug.
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Plex {Method} {Path} failed: {Reason}")]
    public static partial void RequestFailed(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Debug, Message = "Plex {Method} {Path} failed; the exception behind it")]
    public static partial void RequestFailedDetail(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Read {Count} tracks of section {SectionKey} at offset {Offset} (total {TotalSize})")]
    public static partial void PageRead(ILogger logger, string sectionKey, int count, int offset, int totalSize);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Plex returned {Count} tracks in section {SectionKey} that do not match the {Filter} filter; skipped them")]
    public static partial void FilterMismatchSkipped(ILogger logger, int count, string sectionKey, TrackFilter filter);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "Set rating of {RatingKey} to {Rating}")]
    public static partial void RatingSet(ILogger logger, string ratingKey, double rating);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Cleared rating of {RatingKey}")]
    public static partial void RatingCleared(ILogger logger, string ratingKey);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Plex did not report totalSize for section {SectionKey}; counting by listing instead")]
    public static partial void TotalSizeMissing(ILogger logger, string sectionKey);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "Item {RatingKey} has type {ItemType}, which holds no tracks")]
    public static partial void ItemHoldsNoTracks(ILogger logger, string ratingKey, string itemType);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Debug, Message = "Bulk edit of {Count} tracks in section {SectionKey} to {Rating} (empty = cleared)")]
    public static partial void BulkRatingSent(ILogger logger, string sectionKey, int count, double? rating);
}
