using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Options;
using StarSync.Plex;

namespace StarSync.Configuration;

/// <summary>Registers configuration sources and validated options.</summary>
public static class ConfigurationExtensions
{
    /// <summary>
    /// Adds the .env file (below real environment variables, like python-dotenv) and registers paths, settings and
    /// Plex options. Nothing is read from disk for validation or written here: the options are read and validated
    /// together with every other options type when the host starts (each problem named, all in one round), and
    /// <see cref="ConfigurationStartup"/> then creates the folders and writes settings.json.
    /// </summary>
    public static IHostApplicationBuilder AddStarSyncConfiguration(this IHostApplicationBuilder builder)
    {
        AddDotEnv(builder.Configuration, builder.Configuration["DOTENV_PATH"] ?? Path.Combine(Directory.GetCurrentDirectory(), ".env"));
        // Files that libraries create on their own (SQLite -wal/-shm, logs, keys) are owner-only from birth.
        PrivateFiles.RestrictNewFiles();

        var services = builder.Services;
        services.AddSingleton(sp => new StarSyncPaths(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton(TimeProvider.System); // Try: tests put a fake clock in first

        services.AddOptions<StartupSettings>()
            .Configure<IConfiguration, StarSyncPaths>((options, configuration, paths) =>
            {
                options.Problems.AddRange(StorageCheck.Problems(paths));
                SettingsLoader.Read(configuration, paths.SettingsFile, options);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StartupSettings>, StartupSettingsValidator>();
        services.AddSingleton<SettingsStore>();
        // First hosted service: folders and settings.json exist before the journal, sessions or keys are touched.
        services.AddSingleton<ConfigurationStartup>();
        // The host resolves every hosted service (running their constructors, which may read options) before it runs
        // start-up validation; one failing options type would then hide the others. So the first hosted service
        // validates every options type, in one round, as it is resolved.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp =>
        {
            sp.GetService<IStartupValidator>()?.Validate();
            return sp.GetRequiredService<ConfigurationStartup>();
        }));

        services.AddOptions<PlexOptions>()
            .Configure<IConfiguration>((options, configuration) => PlexOptionsSetup.Read(configuration, options))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PlexOptions>, PlexOptionsValidator>();
        return builder;
    }

    private static void AddDotEnv(IConfigurationManager configuration, string path)
    {
        var sources = configuration.Sources;
        var envIndex = sources.Select((s, i) => (s, i))
            .Where(x => x.s is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
            .Select(x => x.i)
            .DefaultIfEmpty(sources.Count)
            .First();
        sources.Insert(envIndex, new DotEnvConfigurationSource(path));
    }
}
