using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using StarSync.Api;
using StarSync.Automation;
using StarSync.Cli;
using StarSync.Configuration;
using StarSync.Connection;
#if STARSYNC_DEMO
using StarSync.Demo;
#endif
using StarSync.Health;
using StarSync.Jobs;
using StarSync.Journal;
using StarSync.Notifications;
using StarSync.Plex;
using StarSync.Rating;
using StarSync.Rules;
using StarSync.Status;
using StarSync.Web;
using StarSync.Web.Logging;

namespace StarSync;

/// <summary>Builds the one StarSync host used by the web app, the CLI verbs, demo mode and the tests.</summary>
public static class StarSyncApp
{
    /// <summary>The argument that starts demo mode (the app against the built-in emulated Plex).</summary>
    public const string DemoFlag = "--demo";

    /// <summary>Runs the app: a CLI verb when the first argument names one, else the web host.</summary>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.Error);

    /// <summary>
    /// As <see cref="RunAsync(string[])"/>, writing start-up problems to <paramref name="error"/>: every configuration
    /// problem is one "starsync: ..." line, all of them in one round, and the exit code is 2.
    /// <paramref name="configure"/> lets tests add configuration.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error, Action<IHostApplicationBuilder>? configure = null)
    {
        try
        {
            if (CommandLine.IsCommand(args))
            {
                using var cancel = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
                return await CommandLine.RunAsync(args, Console.Out, error, configure, cancel.Token);
            }

            if (args.Contains(DemoFlag))
            {
#if STARSYNC_DEMO
                return await DemoMode.RunAsync(args);
#else
                await Console.Error.WriteLineAsync("starsync: --demo: this build leaves the emulated Plex out (the production image does). " +
                    "Run the demo from source instead: dotnet run --project src/StarSync -- --demo");
                return CommandLine.Usage;
#endif
            }

            return await RunWebAsync(args, configure);
        }
        catch (Exception ex) when (ConfigurationProblems(ex) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"starsync: {problem}");
            }

            return CommandLine.Usage;
        }
    }

    // A method of its own, so a CLI verb never touches the web host's types.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> RunWebAsync(string[] args, Action<IHostApplicationBuilder>? configure)
    {
        await using var app = Build(args, configure);
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// The configuration problems an exception carries: start-up validation throws one OptionsValidationException per
    /// options type (an AggregateException when several fail), the start-up step a StartupConfigurationException.
    /// Empty for any other exception, which stays unhandled.
    /// </summary>
    internal static IReadOnlyList<string> ConfigurationProblems(Exception exception) => exception switch
    {
        StartupConfigurationException e => e.Errors,
        OptionsValidationException e => e.Failures.ToArray(),
        AggregateException e when e.InnerExceptions.All(i => ConfigurationProblems(i).Count > 0) =>
            e.InnerExceptions.SelectMany(ConfigurationProblems).ToArray(),
        _ => [],
    };

    /// <summary>
    /// What starting the host does before any service runs, for the CLI (which uses the host without starting it):
    /// validates, in one round, the options a CLI verb uses (settings, storage, Plex; not the web login), then runs
    /// the configuration start-up step.
    /// </summary>
    public static async Task PrepareWithoutServerAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var failures = new List<OptionsValidationException>();
        Check<StartupSettings>();
        Check<PlexOptions>();
        if (failures.Count > 0)
        {
            throw failures.Count == 1 ? failures[0] : new AggregateException(failures);
        }

        await services.GetRequiredService<ConfigurationStartup>().StartAsync(cancellationToken);

        void Check<T>() where T : class
        {
            try
            {
                _ = services.GetRequiredService<IOptionsMonitor<T>>().CurrentValue;
            }
            catch (OptionsValidationException ex)
            {
                failures.Add(ex);
            }
        }
    }

    /// <summary>
    /// Composes the host of the CLI verbs: a generic host with only the engine (configuration, logging, Plex, rating,
    /// rules, journal, jobs, status). No web server, pages, auth or API is composed, so their assemblies are never
    /// loaded or compiled: about 20 MB less mapped and 15-25 MB less private memory per verb (docs/benchmarks.md,
    /// "Memory of the CLI and the preview"). Configuration is read as the web host reads it, except ASPNETCORE_-prefixed
    /// host settings, which only concern the web server.
    /// Like the web host it is built, never started; <see cref="PrepareWithoutServerAsync"/> does what starting would.
    /// </summary>
    public static IHost BuildCli(Action<IHostApplicationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ApplicationName = typeof(StarSyncApp).Assembly.GetName().Name,
            ContentRootPath = FindContentRoot(),
        });
        configure?.Invoke(builder);
        AddEngine(builder);
        return builder.Build();
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

        AddEngine(builder);                   // what the CLI host has too: configuration, logging, Plex, rating, rules, journal, jobs, status
        builder.Services.AddHealth();         // metrics (Meter "StarSync") and their Prometheus exporter
        builder.Services.AddApi();            // API key from the settings, secrets masked in the live log
        builder.Services.AddAutomation();     // schedule, Plex webhook with debounce
        builder.Services.AddNotifications();  // Plex's notification websocket: new music without a webhook
        builder.AddStarSyncWeb();             // auth, pages, API
        builder.Services.AddOpenApi();        // /openapi/v1.json describes /api/v1

        var app = builder.Build();
        app.MapStarSyncWeb();
        app.MapAutomation();
        app.MapGroup("/api/v1").MapStarSyncApi().MapRules().MapPlexConnection();
        app.MapHealth();
        app.MapOpenApi();
        return app;
    }

    /// <summary>The features both hosts have, each composed once by its own <c>AddX()</c>.</summary>
    private static void AddEngine(IHostApplicationBuilder builder)
    {
        builder.AddStarSyncConfiguration();   // env / .env (old variable names), settings.json, validation on start
        builder.AddStarSyncLogging();         // console + rolling file + live log, secrets masked
        builder.Services.AddPlex();           // typed Plex client with resilience
        builder.Services.AddPlexConnection(); // Plex URL/token from the environment or Settings; direct test; first-visit set-up
        builder.Services.AddRating();         // rating scale, policy, rating job
        builder.Services.AddRules();          // rating rules engine and preview
        builder.Services.AddJournal();        // SQLite journal of every change
        builder.Services.AddJobs();           // queue, executor (lease, recovery, progress), runner, job event sink
        builder.Services.AddStatus();         // dashboard's cached view of Plex (connection, coverage)
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
