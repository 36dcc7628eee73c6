using System.Globalization;
using System.Text;

namespace StarSync.Web.Logging;

/// <summary>
/// The last step before any log sink (console, file, live log) writes a line: secrets are masked and control
/// characters neutralised, so text from Plex (a title with a newline or an ANSI/OSC escape) can neither forge a log
/// line nor drive the terminal.
/// </summary>
public sealed class LogScrubber(SecretRedactor redactor)
{
    /// <summary>A log message as one line: secrets masked, every control character written as an escape (\n, \u001b).</summary>
    public string Message(string message) => redactor.Redact(OneLine(message));

    /// <summary>
    /// An exception's text (type, message, stack trace) keeps its line breaks, but every line after the first is
    /// indented, so nothing in an exception message can pass for a log line of its own.
    /// </summary>
    public string Exception(string text)
    {
        var lines = text.Split('\n');
        var result = new StringBuilder(text.Length + 16);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = OneLine(lines[i].TrimEnd('\r'));
            if (i > 0)
            {
                result.Append(Environment.NewLine);
                if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
                {
                    result.Append("  ");
                }
            }

            result.Append(line);
        }

        return redactor.Redact(result.ToString());
    }

    /// <summary>
    /// <paramref name="text"/> with C0/C1 controls (CR, LF, ESC, ...), the Unicode line and paragraph separators and
    /// the bidirectional overrides written as visible escapes.
    /// </summary>
    public static string OneLine(string text)
    {
        if (!text.AsSpan().ContainsAny(Unsafe))
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (!Unsafe.Contains(c))
            {
                result.Append(c);
                continue;
            }

            result.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
            });
        }

        return result.ToString();
    }

    private static readonly System.Buffers.SearchValues<char> Unsafe = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(i => (char)i), .. Enumerable.Range(0x7F, 0x21).Select(i => (char)i),
         '\u2028', '\u2029', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069']);
}
