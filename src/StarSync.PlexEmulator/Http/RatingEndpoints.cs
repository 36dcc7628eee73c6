using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace StarSync.PlexEmulator;

/// <summary>PUT /:/rate and the bulk userRating edit, with PMS's status codes (plex-api.md §7).</summary>
internal static class RatingEndpoints
{
    public static async Task RateAsync(HttpContext ctx, EmulatorState state)
    {
        var lib = state.Library;
        var query = PlexQuery.Parse(ctx.Request);
        var keyText = query.Get("key");
        var identifier = query.Get("identifier");
        var ratingText = query.Get("rating");
        if (string.IsNullOrEmpty(keyText) || string.IsNullOrEmpty(identifier) || string.IsNullOrEmpty(ratingText)
            || !double.TryParse(ratingText, NumberStyles.Float, CultureInfo.InvariantCulture, out var rating)
            || double.IsNaN(rating) || (rating != -1 && (rating < 0 || rating > 10)))
        {
            await PlexResults.BadRequest(ctx);
            return;
        }

        var now = state.Options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        var ratedAt = now;
        var ratedAtText = query.Get("ratedAt");
        if (ratedAtText is not null)
        {
            if (!long.TryParse(ratedAtText, NumberStyles.Integer, CultureInfo.InvariantCulture, out ratedAt) || ratedAt > now || ratedAt < 0)
            {
                await PlexResults.BadRequest(ctx);
                return;
            }
        }

        if (identifier != PlexEndpoints.LibraryIdentifier || !lib.TryParseKey(keyText, out var key))
        {
            await PlexResults.NotFound(ctx);
            return;
        }

        await WriteAsync(ctx, state, 1, () => lib.WriteRating(key, rating == -1 ? float.NaN : (float)rating, PlexEndpoints.UserOf(ctx), ratedAt));
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentLength = 0;
    }

    /// <summary>PUT /library/sections/{id}/all?type=10&amp;id=a,b&amp;userRating.value=X[&amp;userRating.locked=1].</summary>
    public static async Task BulkEditAsync(HttpContext ctx, EmulatorState state)
    {
        state.Counters.BulkEditRequest();
        var lib = state.Library;
        var section = lib.FindSection((string)ctx.GetRouteValue("id")!);
        if (section is null)
        {
            await PlexResults.NotFound(ctx);
            return;
        }

        var query = PlexQuery.Parse(ctx.Request);
        var ids = query.Get("id");
        var valueText = query.Get("userRating.value");
        if (string.IsNullOrEmpty(ids) || valueText is null)
        {
            await PlexResults.BadRequest(ctx);
            return;
        }

        // An empty value clears (unverified on real PMS; see plex-api.md open question 3).
        var value = float.NaN;
        if (valueText.Length > 0 && (!float.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || value < 0 || value > 10))
        {
            await PlexResults.BadRequest(ctx);
            return;
        }

        var keys = new List<int>();
        foreach (var id in ids.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!lib.TryParseKey(id, out var key) || lib.SectionIdOf(key) != section.Id)
            {
                await PlexResults.BadRequest(ctx);
                return;
            }

            keys.Add(key);
        }

        // A Home/managed or shared user's token gets 403 here (plex-api.md §7); the owner may be refused too, on demand.
        var user = PlexEndpoints.UserOf(ctx);
        var bulk = state.Options.BulkEdit;
        if (user is not null || bulk.Refuse)
        {
            await PlexResults.WriteErrorAsync(ctx, StatusCodes.Status403Forbidden, "Forbidden");
            return;
        }

        if (bulk.MaxIds > 0 && keys.Count > bulk.MaxIds)
        {
            state.Counters.UrlTooLongAnswered();
            switch (state.Options.UrlTooLong)
            {
                case UrlTooLongAnswer.Drop:
                    ctx.Abort();
                    return;
                case UrlTooLongAnswer.Status400:
                    await PlexResults.BadRequest(ctx);
                    return;
                default:
                    await PlexResults.WriteErrorAsync(ctx, StatusCodes.Status414RequestUriTooLong, "Request-URI Too Long");
                    return;
            }
        }

        state.Counters.BulkEdit();
        if (!bulk.Ignore)
        {
            var lockText = query.Get("userRating.locked");
            var now = state.Options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            await WriteAsync(
                ctx,
                state,
                keys.Count,
                () =>
                {
                    foreach (var key in keys)
                    {
                        lib.WriteRating(key, value, user, now);
                        if (lockText == "1" || bulk.AlwaysLock)
                        {
                            lib.LockRating(key);
                        }
                        else if (lockText == "0")
                        {
                            lib.UnlockRating(key);
                        }
                    }
                });
        }

        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentLength = 0;
    }

    /// <summary>
    /// Applies the write cost model: one request costs PerRatingWrite + items x PerRatedItem, held inside one global
    /// writer lock when SerializeWrites is on (PMS writes through a single SQLite writer), otherwise on the request's
    /// own schedule (<see cref="ModelledSchedule"/>: its cost ends PerRequest + cost after the request came in).
    /// </summary>
    private static async Task WriteAsync(HttpContext ctx, EmulatorState state, int items, Action write)
    {
        var cancellationToken = ctx.RequestAborted;
        state.Counters.WriteStarted();
        try
        {
            var latency = state.Options.Latency;
            var time = state.Options.TimeProvider;
            var schedule = ctx.Features.Get<ModelledSchedule>() ?? new ModelledSchedule(time);
            if (state.Options.BeforeRatingWrite is { } hook)
            {
                await hook(CancellationToken.None); // the request has arrived: a client killed now does not take it back
                schedule.Resume(); // the hook's time is not the model's
            }

            var cost = latency.PerRatingWrite + (latency.PerRatedItem * items);
            if (latency.SerializeWrites)
            {
                // Serialized, the writer keeps its own schedule: each write starts when the one before it ends, on the
                // clock, not when a timer woke the request up. Task.Delay overshoots 2-3 ms waits by 1-2 ms on Linux;
                // holding a lock through the delay made the writer slower than modelled by that much per write (so the
                // model's limit was unreachable).
                await EmulatorMiddleware.DelayAsync(state.ReserveWriter(cost, time), time, state.Counters, cancellationToken);
            }
            else
            {
                await schedule.WaitAsync(cost, state.Counters, cancellationToken);
            }

            write();
            state.Counters.WriteRequest();
            state.Counters.WriterWorked(cost);
            state.Counters.RatingsWritten(items);
        }
        finally
        {
            state.Counters.WriteEnded();
        }
    }
}
