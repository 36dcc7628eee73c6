using System.Globalization;
using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using StarSync.Configuration;
using StarSync.Web.Logging;

namespace StarSync.LiveLog;

/// <summary>The live stream (<c>GET /api/v1/events</c>) and the log download.</summary>
public static class LiveLogEndpoints
{
    /// <summary>Sent first on every connection so the page knows the stream is open even when the log is quiet.</summary>
    public const string ReadyEvent = "ready";

    /// <summary>Maps the endpoints under /api/v1; they require a login through the fallback policy.</summary>
    public static RouteGroupBuilder MapLiveLog(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1").WithTags("Live log");
        group.MapGet("/events", StreamEvents);
        group.MapGet("/logs/download", DownloadLog);
        return group;
    }

    /// <summary>
    /// Replays buffered log lines newer than Last-Event-ID (the header EventSource sends on reconnect, or
    /// <c>?lastEventId=</c> for a fresh EventSource), then streams log lines and events live.
    /// </summary>
    internal static ServerSentEventsResult<object> StreamEvents(
        HttpContext context,
        LiveFeed feed,
        [FromHeader(Name = "Last-Event-ID")] string? lastEventIdHeader,
        [FromQuery] string? lastEventId)
    {
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no"; // nginx would otherwise hold events back
        var afterId = ParseId(lastEventIdHeader) ?? ParseId(lastEventId);
        return TypedResults.ServerSentEvents(Frames(feed, afterId, context.RequestAborted));
    }

    internal static Results<PushStreamHttpResult, ProblemHttpResult> DownloadLog(StarSyncPaths paths, TimeProvider timeProvider)
    {
        var directory = new DirectoryInfo(paths.LogsDirectory);
        var current = directory.Exists
            ? directory.EnumerateFiles(LoggingExtensions.LogFilePattern).MaxBy(f => f.LastWriteTimeUtc)
            : null;
        if (current is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No log file yet", detail: $"Nothing has been written to {paths.LogsDirectory} yet.");
        }

        var name = string.Create(CultureInfo.InvariantCulture, $"starsync-{timeProvider.GetLocalNow():yyyyMMdd-HHmmss}.log");
        return TypedResults.Stream(body => CopyCurrentContentAsync(current.FullName, body), "text/plain; charset=utf-8", name);
    }

    // The file is still being written: share it with the writer and send exactly what it held when the download
    // started (no Content-Length, so lines written meanwhile cannot make the response overrun).
    private static async Task CopyCurrentContentAsync(string path, Stream body)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
        var remaining = file.Length;
        var buffer = new byte[81920];
        while (remaining > 0)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)));
            if (read == 0)
            {
                break;
            }

            await body.WriteAsync(buffer.AsMemory(0, read));
            remaining -= read;
        }
    }

    private static async IAsyncEnumerable<SseItem<object>> Frames(LiveFeed feed, long? afterId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var messages = feed.WatchAsync(afterId, cancellationToken).GetAsyncEnumerator(cancellationToken);
        // The first MoveNextAsync runs the feed's iterator up to its first wait, which subscribes this tab: so "ready"
        // goes out only once the tab is subscribed, and nothing published after "ready" can pass it by.
        var next = messages.MoveNextAsync();
        try
        {
            yield return new SseItem<object>(new { afterId }, ReadyEvent);
            while (await next)
            {
                var message = messages.Current;
                yield return new SseItem<object>(message.Payload, message.EventType)
                {
                    EventId = message.Id?.ToString(CultureInfo.InvariantCulture),
                };
                next = messages.MoveNextAsync();
            }
        }
        finally
        {
            // Stopped while a read is pending (the client went away): that read ends with the request's cancellation,
            // and the feed's iterator may only be disposed once it has.
            if (!next.IsCompleted)
            {
                await next.AsTask().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            await messages.DisposeAsync();
        }
    }

    private static long? ParseId(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
}
