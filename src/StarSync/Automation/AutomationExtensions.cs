using Microsoft.AspNetCore.Mvc;
using StarSync.Jobs;

namespace StarSync.Automation;

/// <summary>Registers and maps the schedule and the Plex webhook.</summary>
public static class AutomationExtensions
{
    /// <summary>Adds the schedule, the webhook batcher and receiver, and their options (validated at start).</summary>
    public static IServiceCollection AddAutomation(this IServiceCollection services)
    {
        services.AddOptions<AutomationOptions>()
            .Configure<IConfiguration>((options, configuration) => AutomationOptions.Read(configuration, options))
            .ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AutomationOptions>, AutomationOptionsValidator>();
        services.AddSingleton<AutomationState>();
        services.AddSingleton<ScheduleService>();
        services.AddHostedService(sp => sp.GetRequiredService<ScheduleService>());
        services.AddJobEventHandler<ScheduledJobFailures>();
        services.AddSingleton<NewMusicBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NewMusicBatcher>());
        services.AddSingleton<WebhookReceiver>();

        // ASP.NET Core logs every request line at Information, path and query included, and the webhook URL carries
        // its secret. Request lines are not worth leaking it: keep that category to warnings.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning));
        return services;
    }

    /// <summary>
    /// Maps POST /plex-webhook/{secret} and POST /plex-webhook?secret=… (or without a secret when
    /// ALLOW_UNAUTHENTICATED_WEBHOOK=true). Plex cannot log in or send antiforgery tokens: the secret is the auth.
    /// </summary>
    public static IEndpointRouteBuilder MapAutomation(this IEndpointRouteBuilder app)
    {
        var webhook = app.MapGroup("/plex-webhook")
            .AllowAnonymous()
            .DisableAntiforgery()
            .WithTags("Webhook");
        webhook.MapPost("/{secret}", (HttpContext context, [FromRoute] string secret, WebhookReceiver receiver, CancellationToken cancellationToken) =>
                receiver.ReceiveAsync(context, secret, cancellationToken))
            .WithName("PlexWebhook")
            .WithSummary("Plex webhook (the URL shown on the Settings page)");
        webhook.MapPost("/", (HttpContext context, [FromQuery] string? secret, WebhookReceiver receiver, CancellationToken cancellationToken) =>
                receiver.ReceiveAsync(context, secret, cancellationToken))
            .WithName("PlexWebhookQuery")
            .WithSummary("Plex webhook with ?secret=… (or, with ALLOW_UNAUTHENTICATED_WEBHOOK=true, the old unprotected URL)");
        return app;
    }
}
