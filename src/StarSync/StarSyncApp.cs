using Microsoft.Extensions.Options;
using StarSync.Api;
using StarSync.Automation;
using StarSync.Cli;
using StarSync.Configuration;
using StarSync.Demo;
using StarSync.Health;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Web;

namespace StarSync;

/// <summary>Builds the one StarSync host used by the web app, the CLI verbs, demo mode and the tests.</summary>
public static class StarSyncApp
{
    /// <summary>Runs the app: a CLI verb when the first argument names one, else the web host.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            if (CommandLine.IsCommand(args))
            {
                using var cancel = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
                return await CommandLine.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancel.Token);
            }

            if (DemoMode.IsRequested(args))
            {
                return await DemoMode.RunAsync(args);
            }

            var app = Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (StartupConfigurationException ex)
        {
            foreach (var error in ex.Errors)
            {
                await Console.Error.WriteLineAsync($"starsync: {error}");
            }

            return CommandLine.Usage;
        }
        catch (OptionsValidationException ex)
        {
            foreach (var error in ex.Failures)
            {
                await Console.Error.WriteLineAsync($"starsync: {error}");
            }

            return CommandLine.Usage;
        }
    }

    /// <summary>Composes the web host. <paramref name="configure"/> lets tests and demo mode add configuration before services are built.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.AddStarSyncConfiguration();   // env / .env (old variable names), settings.json, validation on start
        builder.Services.AddPlex();           // typed Plex client with resilience
        builder.Services.AddRating();         // rating scale, policy, rating job
        builder.Services.AddJournal();        // SQLite journal of every change
        builder.Services.AddJobs();           // queue, runner, progress events
        builder.Services.AddSingleton<PlexStatus>().AddSingleton<AutomationState>().AddSingleton<StarSyncMetrics>();
        builder.AddStarSyncWeb();             // auth, pages, API, live log
        builder.Services.AddOpenApi();        // /openapi/v1.json describes /api/v1

        var app = builder.Build();
        // Created now so it counts every job from the first one.
        app.Services.GetRequiredService<StarSyncMetrics>();
        app.MapStarSyncWeb();
        app.MapGroup("/api/v1").MapStarSyncApi();
        app.MapHealth();
        app.MapOpenApi();
        return app;
    }
}
