using System.Runtime.CompilerServices;
using StarSync.Plex;

namespace StarSync.Rules;

/// <summary>
/// Reads a track listing with a few pages in flight and hands the pages out in order, so Plex serves the next pages
/// while StarSync reads the current one (the preview's listing is read-only, so the offsets do not move under it).
/// The first page says how many items there are and how large Plex lets a page be (it may clamp the size asked for);
/// the following pages are asked for at once, up to <c>depth</c> at a time. A page shorter than that size before the
/// end (Plex clamps harder, or the listing shrank) drops what is in flight and goes on one page at a time from there.
/// A server that ignores the offset (answers another one, or the same first item twice) stops the listing with a
/// <see cref="PlexException"/>, as the job's listing does. Each page carries the listing's size as Plex last said it.
/// </summary>
internal static class PrefetchedListing
{
    public static async IAsyncEnumerable<PlexPage> PagesAsync(IPlexClient plex, string sectionKey, TrackQuery query, int pageSize, int depth,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = await plex.GetTrackPageAsync(sectionKey, query with { Start = 0 }, pageSize, cancellationToken);
        if (first.ServerCount == 0)
        {
            yield break;
        }

        var size = Math.Min(pageSize, first.ServerCount);
        var total = first.TotalSize;
        var next = first.ServerCount;
        var previousFirstKey = first.Tracks.Count > 0 ? first.Tracks[0].RatingKey : null;
        var inFlight = new Queue<(int Offset, Task<PlexPage> Page)>();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            void Fill()
            {
                while (inFlight.Count < depth && next < total)
                {
                    inFlight.Enqueue((next, plex.GetTrackPageAsync(sectionKey, query with { Start = next }, size, stop.Token)));
                    next += size;
                }
            }

            // The next pages are on their way before the first one is handed out.
            Fill();
            yield return first;
            while (inFlight.TryDequeue(out var pending))
            {
                var page = await pending.Page;
                if (page.ServerCount == 0)
                {
                    yield break;
                }

                if (page.Offset != pending.Offset)
                {
                    throw new PlexException(
                        $"Plex answered offset {page.Offset} when asked for {pending.Offset} in library {sectionKey}, so StarSync cannot page through it reliably.");
                }

                var firstKey = page.Tracks.Count > 0 ? page.Tracks[0].RatingKey : null;
                if (firstKey is not null && firstKey == previousFirstKey)
                {
                    throw new PlexException(
                        $"Plex returned the same page again for offset {pending.Offset} in library {sectionKey}; it seems to ignore paging, so StarSync stopped listing.");
                }

                previousFirstKey = firstKey ?? previousFirstKey;
                total = page.TotalSize;
                var end = pending.Offset + page.ServerCount;
                if (page.ServerCount < size && end < total)
                {
                    // Shorter than the pages before it, and not the last: what is in flight was asked at the wrong offsets.
                    await stop.CancelAsync();
                    await DrainAsync(inFlight);
                    stop.Dispose();
                    stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    size = page.ServerCount;
                    next = end;
                }

                Fill();
                yield return page;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await DrainAsync(inFlight);
            stop.Dispose();
        }
    }

    // Pages asked for and no longer wanted: wait for them to end (cancelled or not) so no request outlives the listing.
    private static async Task DrainAsync(Queue<(int Offset, Task<PlexPage> Page)> inFlight)
    {
        while (inFlight.TryDequeue(out var pending))
        {
            try
            {
                await pending.Page;
            }
            catch (Exception e) when (e is OperationCanceledException or PlexException or HttpRequestException)
            {
                // Not wanted any more; a real failure surfaced (or will) through the page that was read.
            }
        }
    }
}
