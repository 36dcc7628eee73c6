using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace StarSync.Web.Logging;

/// <summary>Console output (what <c>docker logs</c> shows): one line per entry, scrubbed by <see cref="LogScrubber"/>.</summary>
internal sealed class RedactingConsoleFormatter(LogScrubber scrubber, TimeProvider timeProvider) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "starsync";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var time = timeProvider.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        textWriter.Write(time);
        textWriter.Write(' ');
        textWriter.Write(ShortLevel(logEntry.LogLevel));
        textWriter.Write(' ');
        textWriter.Write(logEntry.Category);
        textWriter.Write(": ");
        textWriter.WriteLine(scrubber.Message(message));
        if (logEntry.Exception is not null)
        {
            textWriter.WriteLine(scrubber.Exception(logEntry.Exception.ToString()));
        }
    }

    private static string ShortLevel(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
