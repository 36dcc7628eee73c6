using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace StarSync.Web.Logging;

/// <summary>Serilog formatter for the log file: one line per event (exception lines indented below it), scrubbed after rendering.</summary>
internal sealed class RedactingTextFormatter(LogScrubber scrubber) : ITextFormatter
{
    private const string Template = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}";

    private readonly MessageTemplateTextFormatter _inner = new(Template, CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        _inner.Format(logEvent, buffer);
        output.Write(scrubber.Message(buffer.ToString()));
        output.Write(Environment.NewLine);
        if (logEvent.Exception is not null)
        {
            output.Write(scrubber.Exception(logEvent.Exception.ToString()));
            output.Write(Environment.NewLine);
        }
    }
}
