using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace StarSync.Web.Logging;

/// <summary>Serilog formatter for the log file: one line per event, secrets masked after rendering.</summary>
internal sealed class RedactingTextFormatter(SecretRedactor redactor) : ITextFormatter
{
    private const string Template = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    private readonly MessageTemplateTextFormatter _inner = new(Template, CultureInfo.InvariantCulture);

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new StringWriter(CultureInfo.InvariantCulture);
        _inner.Format(logEvent, buffer);
        output.Write(redactor.Redact(buffer.ToString()));
    }
}
