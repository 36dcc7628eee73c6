using Microsoft.Extensions.DependencyInjection.Extensions;
using StarSync.Configuration;
using StarSync.LiveLog;
using StarSync.Web.Auth;
using StarSync.Web.Hosting;
using StarSync.Web.Logging;

namespace StarSync.Web;

/// <summary>Registers and maps the web UI, API and auth.</summary>
public static class WebExtensions
{
    /// <summary>Adds hosting, auth, antiforgery and the UI's services.</summary>
    public static WebApplicationBuilder AddStarSyncWeb(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);

        // Logging (console + rolling file + live log, secrets masked) is composed with the engine, which the CLI host shares.
        builder.AddStarSyncHosting();   // port 5454 / PORT, forwarded headers, ProblemDetails, exception map
        builder.AddStarSyncAuth();      // login cookie, API key, antiforgery, Data Protection keys

        builder.Services.Configure<RouteOptions>(options => options.LowercaseUrls = true);
        builder.Services.AddRazorPages(options =>
        {
            options.Conventions.AllowAnonymousToPage("/Login");
            options.Conventions.AllowAnonymousToPage("/Error");
        });
        return builder;
    }

    /// <summary>Maps pages, API and the live log stream. Endpoints mapped after this still get auth and antiforgery.</summary>
    public static WebApplication MapStarSyncWeb(this WebApplication app)
    {
        // URL_BASE: every page, asset, API and webhook route lives under it. Read when the pipeline is built, after
        // start-up validation, never while composing.
        app.UseMiddleware<UrlBaseMiddleware>();

        app.UseSecurityHeaders();
        app.UseStarSyncErrorHandling();
        app.UseStaticFiles();           // before auth: the login page needs its CSS
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<ApiAntiforgeryMiddleware>();
        app.UseAntiforgery();

        app.MapRazorPages();
        app.MapLiveLog();

        if (!string.IsNullOrEmpty(app.Configuration["FLASK_SECRET_KEY"]))
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StarSync.Web");
            var keysDirectory = app.Services.GetRequiredService<StarSyncPaths>().KeysDirectory;
            WebLog.FlaskSecretKeyIgnored(logger, keysDirectory);
        }

        return app;
    }
}
