using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace StarSync.PlexEmulator;

/// <summary><c>GET /:/websockets/notifications</c>: the token was checked by the middleware (401 before the upgrade).</summary>
internal static class NotificationEndpoints
{
    public static void MapNotifications(this IEndpointRouteBuilder app)
    {
        var state = app.ServiceProvider.GetRequiredService<EmulatorState>();
        app.MapGet(NotificationHub.Path, ctx => ServeAsync(ctx, state));
    }

    private static async Task ServeAsync(HttpContext ctx, EmulatorState state)
    {
        if (state.Options.Notifications.RefuseConnections)
        {
            await PlexResults.WriteUnauthorizedAsync(ctx);
            return;
        }

        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await PlexResults.BadRequest(ctx);
            return;
        }

        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        // Stopping the server (a Plex restart) ends every connection instead of waiting for clients to leave.
        var stopping = ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        await state.Notifications.ServeAsync(ctx, socket, ctx.Request.Query["filters"], linked.Token);
        if (stopping.IsCancellationRequested)
        {
            ctx.Abort();
        }
    }
}
