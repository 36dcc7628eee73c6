using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace StarSync.PlexEmulator;

/// <summary>
/// Runs before every endpoint, in PMS's order: count, inject faults and latency, check the token (401 before
/// 404, as PMS answers unknown paths without a token with 401), then 404 for unknown routes.
/// </summary>
internal sealed class EmulatorMiddleware(RequestDelegate next, EmulatorState state)
{
    internal const string UserItemKey = "StarSync.PlexEmulator.User";
    private readonly Lock _diceGate = new();
    private Random? _dice;
    private int _diceSeed;

    public async Task InvokeAsync(HttpContext context)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
        if (route == NotificationHub.Path)
        {
            // A websocket lives for hours: counted by the hub (Connections), not as a request in flight, so request
            // counts and peak concurrency keep meaning what tests and benchmarks assert.
            state.Notifications.CountRequest();
            await HandleAsync(context, route);
            return;
        }

        var counters = state.Counters;
        counters.RequestStarted(route);
        try
        {
            await HandleAsync(context, route);
        }
        finally
        {
            counters.RequestEnded();
        }
    }

    private async Task HandleAsync(HttpContext context, string route)
    {
        var options = state.Options;
        var faults = options.Faults;
        var time = options.TimeProvider;
        var ct = context.RequestAborted;
        if (options.MaxUrlLength > 0 && RequestTargetLength(context) > options.MaxUrlLength)
        {
            state.Counters.UrlTooLongAnswered();
            switch (options.UrlTooLong)
            {
                case UrlTooLongAnswer.Drop:
                    context.Abort();
                    return;
                case UrlTooLongAnswer.Status400:
                    await PlexResults.BadRequest(context);
                    return;
                default:
                    await PlexResults.WriteErrorAsync(context, StatusCodes.Status414RequestUriTooLong, "Request-URI Too Long");
                    return;
            }
        }

        // A revoked token is refused everywhere a token is checked; /identity needs none on a real server (plex-api.md §3).
        if (faults.RevokeToken && route != "/identity")
        {
            await PlexResults.WriteUnauthorizedAsync(context);
            return;
        }

        switch (faults.TakeScripted(context.Request.Method, context.Request.Path.Value ?? ""))
        {
            case ScriptedFault.ServerError:
                state.Counters.ServerErrorInjected();
                await PlexResults.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error");
                return;
            case ScriptedFault.DropConnection:
                state.Counters.ConnectionDropped();
                context.Abort();
                return;
        }

        if (AppliesTo(faults, context.Request.Path))
        {
            var (error, drop, slow) = RollDice(faults);
            if (slow)
            {
                state.Counters.SlowResponseInjected();
                await DelayAsync(faults.SlowResponseDelay, time, ct);
            }

            if (error)
            {
                state.Counters.ServerErrorInjected();
                await PlexResults.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error");
                return;
            }

            if (drop)
            {
                state.Counters.ConnectionDropped();
                context.Abort();
                return;
            }
        }

        // The request's modelled time starts here; its waits keep to this schedule (ModelledSchedule).
        var schedule = new ModelledSchedule(time);
        context.Features.Set(schedule);
        await schedule.WaitAsync(options.Latency.PerRequest, state.Counters, ct);

        if (route != "/identity")
        {
            var token = context.Request.Headers["X-Plex-Token"].FirstOrDefault() ?? context.Request.Query["X-Plex-Token"].FirstOrDefault();
            if (string.IsNullOrEmpty(token))
            {
                await PlexResults.WriteUnauthorizedAsync(context);
                return;
            }

            if (!string.Equals(token, options.Token, StringComparison.Ordinal))
            {
                if (!options.UserTokens.Contains(token))
                {
                    await PlexResults.WriteUnauthorizedAsync(context);
                    return;
                }

                context.Items[UserItemKey] = state.Library.UserFor(token);
            }
        }

        if (context.GetEndpoint() is null)
        {
            await PlexResults.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found");
            return;
        }

        await next(context);
    }

    /// <summary>The request target as sent (still percent-encoded), which is what servers and proxies bound.</summary>
    private static int RequestTargetLength(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget?.Length
        ?? (context.Request.Path.Value?.Length ?? 0) + (context.Request.QueryString.Value?.Length ?? 0);

    private static bool AppliesTo(FaultOptions faults, PathString path)
    {
        if (faults.ServerErrorRate <= 0 && faults.DropConnectionRate <= 0 && faults.SlowResponseRate <= 0)
        {
            return false;
        }

        if (faults.Routes is not { } routes)
        {
            return true;
        }

        var value = path.Value ?? "";
        foreach (var prefix in routes)
        {
            if (value.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One seeded sequence for the whole server, so a run with the same seed and order repeats.</summary>
    private (bool Error, bool Drop, bool Slow) RollDice(FaultOptions faults)
    {
        lock (_diceGate)
        {
            if (_dice is null || _diceSeed != faults.Seed)
            {
                _diceSeed = faults.Seed;
                _dice = new Random(faults.Seed);
            }

            var fault = _dice.NextDouble();
            var slow = _dice.NextDouble() < faults.SlowResponseRate;
            var error = fault < faults.ServerErrorRate;
            var drop = !error && fault < faults.ServerErrorRate + faults.DropConnectionRate;
            return (error, drop, slow);
        }
    }

    /// <summary>A modelled wait that keeps no schedule (the single writer's, which keeps its own), counted with how late its request went on (<see cref="EmulatorCounters.MeanModelledLateness"/>).</summary>
    internal static Task DelayAsync(TimeSpan delay, TimeProvider time, EmulatorCounters counters, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : ModelledDelayAsync(delay, time, counters, cancellationToken);

    private static async Task ModelledDelayAsync(TimeSpan delay, TimeProvider time, EmulatorCounters counters, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await DelayAsync(delay, time, cancellationToken);
        counters.ModelledWaitServed(time.GetElapsedTime(started) - delay);
    }

    /// <summary>
    /// The modelled latency: on the system clock, kept to the specified time by <see cref="PreciseDelay"/> (Task.Delay
    /// overshoots 2–3 ms waits by 1–2 ms on Linux); on a test's fake clock, a timer of that clock.
    /// </summary>
    internal static Task DelayAsync(TimeSpan delay, TimeProvider time, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask
        : time == TimeProvider.System ? PreciseDelay.Shared.WaitAsync(delay, cancellationToken)
        : Task.Delay(delay, time, cancellationToken);
}

/// <summary>PMS's non-XML answers: HTML stubs for errors, as real servers send them.</summary>
internal static class PlexResults
{
    public static Task WriteUnauthorizedAsync(HttpContext context)
    {
        context.Response.Headers["X-Plex-Protocol"] = "1.0";
        context.Response.Headers.CacheControl = "no-cache";
        return WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string title)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html";
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Response.WriteAsync(
            "<html><head><title>" + title + "</title></head><body><h1>" + code + " " + title + "</h1></body></html>",
            context.RequestAborted);
    }

    public static Task BadRequest(HttpContext context) => WriteErrorAsync(context, StatusCodes.Status400BadRequest, "Bad Request");

    public static Task NotFound(HttpContext context) => WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found");
}
