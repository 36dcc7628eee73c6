using StarSync.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using StarSync.Journal;
using StarSync.Status;

namespace StarSync.Health;

/// <summary>Liveness, readiness and Prometheus metrics: registered and mapped here; anonymous, they reveal no secrets or track data.</summary>
public static class HealthEndpoints
{
    /// <summary>Health check result.</summary>
    public sealed record HealthDto(string Status, IReadOnlyDictionary<string, string> Checks);

    /// <summary>Maps /health (liveness), /health/ready (readiness: journal and Plex) and /metrics.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => TypedResults.Ok(new HealthDto("healthy", new Dictionary<string, string> { ["process"] = "running" })))
            .AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/health/ready", Ready).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/metrics", WriteMetricsAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>Adds the metrics (one Meter, "StarSync") and their Prometheus exporter, started with the host.</summary>
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddJobEventHandler<StarSyncMetrics>();
        services.AddSingleton<MetricsExporter>();
        // Started with the host, so the meter counts every job from the first one.
        services.AddHostedService(sp => sp.GetRequiredService<MetricsExporter>());
        return services;
    }

    private static async Task WriteMetricsAsync(HttpContext context, MetricsExporter exporter, CancellationToken cancellationToken)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await exporter.Registry.CollectAndExportAsTextAsync(context.Response.Body, cancellationToken);
    }

    private static async Task<Results<Ok<HealthDto>, JsonHttpResult<HealthDto>>> Ready(PlexStatus plex, JournalStore journal, HttpContext context,
        CancellationToken cancellationToken)
    {
        // Anonymous callers (Docker, monitoring) learn healthy or not; the details (Plex address, server name,
        // version, error text) are for signed-in users.
        var details = context.User.Identity?.IsAuthenticated == true;
        var checks = new Dictionary<string, string>();
        var healthy = true;
        try
        {
            await journal.GetJobsAsync(1, cancellationToken);
            checks["journal"] = "ok";
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            healthy = false;
            checks["journal"] = details ? ex.Message : "unavailable";
        }

        var connection = await plex.GetConnectionAsync(refresh: false, cancellationToken);
        checks["plex"] = (connection.Ok, details) switch
        {
            (true, true) => $"ok ({connection.ServerName} {connection.Version})",
            (true, false) => "ok",
            (false, true) => connection.Error ?? "unreachable",
            _ => "unreachable",
        };
        healthy &= connection.Ok;
        var result = new HealthDto(healthy ? "healthy" : "unhealthy", checks);
        return healthy ? TypedResults.Ok(result) : TypedResults.Json(result, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
