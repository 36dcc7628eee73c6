using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using StarSync.Plex;

namespace StarSync.Configuration;

/// <summary>Registers configuration sources and validated options.</summary>
public static class ConfigurationExtensions
{
    /// <summary>
    /// Adds the .env file (below real environment variables, like python-dotenv), reads and validates the settings
    /// (a wrong value stops start-up here, naming the variable), and registers paths, settings and Plex options.
    /// </summary>
    public static WebApplicationBuilder AddStarSyncConfiguration(this WebApplicationBuilder builder)
    {
        AddDotEnv(builder.Configuration, builder.Configuration["DOTENV_PATH"] ?? Path.Combine(Directory.GetCurrentDirectory(), ".env"));

        var paths = new StarSyncPaths(builder.Configuration);
        var errors = new List<string>();
        var plex = ReadPlexOptions(builder.Configuration, errors);
        if (builder.Configuration["PORT"] is { Length: > 0 } port && !(int.TryParse(port, out var portNumber) && portNumber is >= 1 and <= 65535))
        {
            errors.Add($"PORT '{port}' is not a port number: use a number from 1 to 65535, e.g. PORT=5454.");
        }

        if (Web.Hosting.HostingExtensions.ParseTrustedProxies(builder.Configuration["TRUSTED_PROXIES"], out var proxiesError) is null)
        {
            errors.Add(proxiesError!);
        }

        if (UrlBase.Parse(builder.Configuration["URL_BASE"], out var urlBaseError) is null)
        {
            errors.Add(urlBaseError!);
        }

        StarSyncSettings? settings = null;
        var mustSave = !File.Exists(paths.SettingsFile);
        try
        {
            settings = SettingsLoader.Load(builder.Configuration, paths.SettingsFile, out var generatedSecrets);
            mustSave |= generatedSecrets;
        }
        catch (StartupConfigurationException ex)
        {
            errors.AddRange(ex.Errors);
        }

        if (errors.Count > 0)
        {
            throw new StartupConfigurationException(errors);
        }

        Directory.CreateDirectory(paths.ConfigDirectory);
        var store = new SettingsStore(settings!, paths);
        // Like the old tool, the first start writes settings.json; generated secrets must also survive a restart.
        // Otherwise the file is left as it is (an old tool's file keeps its shape until settings change).
        if (mustSave)
        {
            store.SaveAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        builder.Services.AddSingleton(paths);
        builder.Services.AddSingleton(store);
        builder.Services.TryAddSingleton(TimeProvider.System); // Try: tests put a fake clock in first
        builder.Services.AddOptions<PlexOptions>().Configure(o =>
        {
            o.Url = plex.Url;
            o.Token = plex.Token;
            o.ClientIdentifier = plex.ClientIdentifier;
            o.TimeoutSeconds = plex.TimeoutSeconds;
            o.PageSize = plex.PageSize;
        });
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

    private static PlexOptions ReadPlexOptions(IConfiguration config, List<string> errors)
    {
        var options = new PlexOptions
        {
            Url = config["PLEX_URL"]?.Trim() ?? "",
            Token = config["PLEX_TOKEN"]?.Trim() ?? "",
            ClientIdentifier = config["PLEX_CLIENT_ID"],
        };
        if (options.Url.Length == 0)
        {
            errors.Add("PLEX_URL is not set: set it to your Plex server's address, e.g. PLEX_URL=http://192.168.1.10:32400 (or start with --demo).");
        }
        else if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"PLEX_URL '{options.Url}' is not an http(s) URL: use e.g. PLEX_URL=http://192.168.1.10:32400.");
        }

        if (options.Token.Length == 0)
        {
            errors.Add("PLEX_TOKEN is not set: set it to your Plex token (Plex support article 204059436 shows how to find it).");
        }

        if (config["PLEX_TIMEOUT_SECONDS"] is { Length: > 0 } timeout)
        {
            if (int.TryParse(timeout, out var seconds) && seconds is >= 1 and <= 600)
            {
                options.TimeoutSeconds = seconds;
            }
            else
            {
                errors.Add($"PLEX_TIMEOUT_SECONDS '{timeout}' must be a whole number of seconds from 1 to 600.");
            }
        }

        if (config["PLEX_PAGE_SIZE"] is { Length: > 0 } pageSize)
        {
            if (int.TryParse(pageSize, out var size) && size is >= 1 and <= 1000)
            {
                options.PageSize = size;
            }
            else
            {
                errors.Add($"PLEX_PAGE_SIZE '{pageSize}' must be from 1 to 1000 (Plex warns about larger pages).");
            }
        }

        return options;
    }
}
