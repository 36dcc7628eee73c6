using Microsoft.Extensions.Options;
using StarSync.Api;
using StarSync.Automation;
using StarSync.Cli;
using StarSync.Configuration;
using StarSync.Demo;
using StarSync.Health;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Notifications;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Web;
using StarSync.Web.Auth;

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
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Named explicitly: Razor Pages are found through the application name, which is the entry assembly's
            // otherwise (testhost in tests, the bench in benchmarks).
            ApplicationName = typeof(StarSyncApp).Assembly.GetName().Name,
            ContentRootPath = args.Contains("--contentRoot") ? null : FindContentRoot(),
        });
        configure?.Invoke(builder);

        builder.AddStarSyncConfiguration();   // env / .env (old variable names), settings.json, validation on start
        builder.Services.AddPlex();           // typed Plex client with resilience
        builder.Services.AddRating();         // rating scale, policy, rating job
        builder.Services.AddJournal();        // SQLite journal of every change
        builder.Services.AddJobs();           // queue, runner, progress events
        builder.Services.AddSingleton<PlexStatus>().AddSingleton<AutomationState>().AddSingleton<StarSyncMetrics>();
        builder.Services.AddSingleton<IApiKeyProvider, SettingsApiKeyProvider>().AddHostedService<LiveEventsBridge>();
        builder.Services.AddAutomation();     // schedule, Plex webhook with debounce
        builder.Services.AddNotifications();  // Plex's notification websocket: new music without a webhook
        builder.AddStarSyncWeb();             // auth, pages, API, live log
        builder.Services.AddOpenApi();        // /openapi/v1.json describes /api/v1

        var app = builder.Build();
        // Created now so it counts every job from the first one.
        app.Services.GetRequiredService<StarSyncMetrics>();
        app.MapStarSyncWeb();
        app.MapAutomation();
        app.MapGroup("/api/v1").MapStarSyncApi();
        app.MapHealth();
        app.MapOpenApi();
        return app;
    }

    /// <summary>
    /// wwwroot and appsettings.json sit beside the published app; in a build tree they stay in the project folder,
    /// a few levels above bin/. The working directory stays free for .env, config/ and logs/, as in the old tool.
    /// </summary>
    private static string FindContentRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (var probe = dir; probe is not null; probe = probe.Parent)
        {
            if (Directory.Exists(Path.Combine(probe.FullName, "wwwroot")) && File.Exists(Path.Combine(probe.FullName, "appsettings.json")))
            {
                return probe.FullName;
            }

            if (Directory.Exists(Path.Combine(probe.FullName, "src", "StarSync", "wwwroot")))
            {
                return Path.Combine(probe.FullName, "src", "StarSync");
            }
        }

        return AppContext.BaseDirectory;
    }
}
