using StarSync.Jobs;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Logging.Console;
using Serilog;
using StarSync.Configuration;
using StarSync.LiveLog;

namespace StarSync.Web.Logging;

/// <summary>Console, rolling file and live log, all passing through one <see cref="LogScrubber"/> (secrets masked, control characters neutralised).</summary>
internal static class LoggingExtensions
{
    private const long FileSizeLimitBytes = 10 * 1024 * 1024;
    private const int RetainedFiles = 7;

    /// <summary>File name pattern of the rolling log; Serilog inserts the date (and _001.. on a size roll) before the extension.</summary>
    public const string LogFilePattern = "starsync*.log";

    /// <summary>Adds console, rolling file and live log, each through the one scrubber; used by the web and the CLI host.</summary>
    public static IHostApplicationBuilder AddStarSyncLogging(this IHostApplicationBuilder builder)
    {
        // Quieter defaults for framework chatter, inserted as the *first* configuration source so that
        // Logging__LogLevel__... from the environment or appsettings still wins.
        ((IConfigurationBuilder)builder.Configuration).Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // Keys sit unencrypted in the private config directory on purpose (as the old tool's secret sat in .env);
                // the warning about that on every fresh install would only alarm.
                ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
            },
        });

        var redactor = SecretRedactor.FromConfiguration(builder.Configuration);
        builder.Services.AddSingleton(redactor);
        var scrubber = new LogScrubber(redactor);
        builder.Services.AddSingleton(scrubber);

        builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = RedactingConsoleFormatter.FormatterName);
        builder.Logging.AddConsoleFormatter<RedactingConsoleFormatter, ConsoleFormatterOptions>();

        var paths = new StarSyncPaths(builder.Configuration);
        var fileLogger = new LoggerConfiguration()
            .MinimumLevel.Verbose() // Microsoft.Extensions.Logging's filters decide what gets here
            .WriteTo.File(
                new RedactingTextFormatter(scrubber),
                paths.LogFile,
                rollingInterval: RollingInterval.Day,
                fileSizeLimitBytes: FileSizeLimitBytes,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: RetainedFiles,
                shared: false, // one writer; the download endpoint opens the file with FileShare.ReadWrite
                flushToDiskInterval: TimeSpan.FromSeconds(1))
            .CreateLogger();
        // Registered as a plain provider: AddSerilog would add a Trace-level rule of its own that beats Logging:LogLevel,
        // filling the file with request lines (webhook URLs among them) and debug noise.
        builder.Services.AddSingleton<ILoggerProvider>(new Serilog.Extensions.Logging.SerilogLoggerProvider(fileLogger, dispose: true));

        builder.Services.AddSingleton<LiveFeed>();
        builder.Services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<LiveFeed>());
        builder.Services.AddJobEventHandler<LiveJobEvents>(); // job and progress events -> SSE
        builder.Services.AddSingleton<ILoggerProvider, LiveLogLoggerProvider>();
        // Only StarSync's own lines and others' warnings reach the live log; provider-specific rules win over
        // Logging:LogLevel, and Logging:LiveLog:LogLevel:... can still change them.
        builder.Logging.AddFilter<LiveLogLoggerProvider>(null, LogLevel.Warning);
        builder.Logging.AddFilter<LiveLogLoggerProvider>("StarSync", LogLevel.Information);
        builder.Logging.AddFilter<LiveLogLoggerProvider>("Microsoft.AspNetCore.DataProtection", LogLevel.Error); // see above
        // A failed Plex request is one Warning with its cause everywhere; what lies behind it (each retry and circuit
        // transition of the resilience pipeline, the exception's stack trace) are Debug lines kept in the file log only.
        builder.Logging.AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>("Polly", LogLevel.Debug);
        builder.Logging.AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>(Plex.PlexClient.DiagnosticsCategory, LogLevel.Debug);
        return builder;
    }
}
