using StarSync.Jobs;
namespace StarSync.Status;

/// <summary>Registers the dashboard's cached view of Plex (connection, coverage).</summary>
public static class StatusExtensions
{
    /// <summary>Adds <see cref="PlexStatus"/>, shared by the dashboard, the API, readiness and the CLI's libraries verb.</summary>
    public static IServiceCollection AddStatus(this IServiceCollection services)
    {
        services.AddJobEventHandler<PlexStatus>();
        return services;
    }
}
