using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Web.Logging;

namespace StarSync.Connection;

/// <summary>The Plex connection as a feature: URL and token from the environment or Settings, the direct test, the first-visit set-up.</summary>
public static class PlexConnectionExtensions
{
    /// <summary>Adds the Settings overlay of PLEX_URL/PLEX_TOKEN, its change notifications, the direct probe and the first-visit redirect.</summary>
    public static IServiceCollection AddPlexConnection(this IServiceCollection services)
    {
        services.AddSingleton<IPostConfigureOptions<PlexOptions>, PlexConnectionOverlay>();
        services.AddSingleton<IOptionsChangeTokenSource<PlexOptions>, PlexConnectionChangeTokenSource>();
        services.AddSingleton<PlexProbe>();
        // No resilience handler: the test must see the first failure as it is. No default loggers: they keep headers.
        // No redirects: Plex does not redirect its API, a login page elsewhere does.
        services.AddHttpClient(PlexProbe.ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2), AllowAutoRedirect = false })
            .ConfigureHttpClient(c => c.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.AddHostedService<PlexConnectionStartup>();
        services.Configure<Microsoft.AspNetCore.Mvc.MvcOptions>(o => o.Filters.Add(new FirstVisitFilter()));
        return services;
    }
}

/// <summary>
/// Says once at start when Plex is not set up yet (instead of refusing to start), and masks a token saved in Settings
/// in every log line, as PLEX_TOKEN from the environment is.
/// </summary>
internal sealed partial class PlexConnectionStartup(IOptionsMonitor<PlexOptions> options, SettingsStore settings, SecretRedactor redactor,
    ILogger<PlexConnectionStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        redactor.AddSecret(settings.Current.PlexToken);
        settings.Changed += OnSettingsChanged;
        var current = options.CurrentValue;
        if (!current.IsConfigured)
        {
            LogNotConfigured(current.Url.Length == 0 ? "PLEX_URL" : "PLEX_TOKEN");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        settings.Changed -= OnSettingsChanged;
        return Task.CompletedTask;
    }

    private void OnSettingsChanged(StarSyncSettings changed) => redactor.AddSecret(changed.PlexToken);

    [LoggerMessage(EventId = 1150, Level = LogLevel.Warning,
        Message = "Plex is not set up yet ({Missing} is not set): sign in to StarSync and enter the server URL and token in Settings → Plex connection, or set PLEX_URL and PLEX_TOKEN. Jobs, the schedule and the listener wait until then.")]
    private partial void LogNotConfigured(string missing);
}

/// <summary>The dashboard, opened before Plex is set up, leads to the Plex connection card of Settings.</summary>
/// <remarks>A global resource filter that acts on the dashboard page only (it has no handler method for a page filter to wrap).</remarks>
internal sealed class FirstVisitFilter : IAsyncResourceFilter
{
    public async Task OnResourceExecutionAsync(ResourceExecutingContext context, ResourceExecutionDelegate next)
    {
        var http = context.HttpContext;
        if (context.ActionDescriptor is PageActionDescriptor { ViewEnginePath: "/Index" }
            && http.User.Identity?.IsAuthenticated == true
            && !http.RequestServices.GetRequiredService<IOptionsMonitor<PlexOptions>>().CurrentValue.IsConfigured)
        {
            context.Result = new Microsoft.AspNetCore.Mvc.RedirectResult(http.Request.PathBase + "/settings?setup=plex#plex-connection");
            return;
        }

        await next();
    }
}
