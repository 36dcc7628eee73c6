// Tests call the logger directly with literal arguments; the cost rule for disabled levels does not apply.
#pragma warning disable CA1873

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using StarSync.LiveLog;
using StarSync.Web.Logging;

namespace StarSync.Tests.Web;

/// <summary>Text from Plex (titles, artists, albums) cannot forge log lines or drive a terminal in any sink.</summary>
[Trait("Category", "Integration")]
public sealed class LogForgingTests
{
    private const string Forged = "2026-01-01 00:00:00.000 +00:00 [ERR] StarSync: forged";
    private const string EvilTitle = "Song\r\n" + Forged + "\u001b[2J\u001b]0;pwned\u0007\u0085\u2028end";
    private const string EvilArtist = "Band\n" + Forged;

    [Fact]
    public async Task A_title_with_a_newline_and_escapes_stays_on_one_line_in_the_file_console_and_live_log()
    {
        await using var app = await TestHost.Create().StartAsync();
        var logger = app.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("StarSync.Rating.ChangeWriter");

        logger.LogWarning("Could not rate {Artist} - {Title} ({RatingKey}): {Reason}", EvilArtist, EvilTitle, "42", "HTTP 500");
        logger.LogWarning(new InvalidOperationException("bad\n" + Forged), "Write of {Title} failed", EvilTitle);

        // Live log: both entries, each message one line, no escape character.
        var live = app.App.Services.GetRequiredService<LiveFeed>().Snapshot().Where(e => e.Category == "StarSync.Rating.ChangeWriter").ToArray();
        Assert.Equal(2, live.Length);
        Assert.All(live, e => AssertNeutral(e.Message));
        AssertNeutral(live[1].Exception!);
        Assert.Contains("Song\\r\\n2026", live[0].Message, StringComparison.Ordinal);

        // File: poll (the sink flushes every second) until both entries are there; no line of the file is forged.
        var file = await ReadLogFileAsync(app.LogsDirectory, "Write of", TimeSpan.FromSeconds(15));
        var lines = file.Split('\n');
        Assert.DoesNotContain(lines, l => l.TrimEnd('\r').StartsWith("2026-01-01", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', file);
        Assert.DoesNotContain('\u0007', file);
        Assert.DoesNotContain('\u2028', file);
        Assert.Equal(1, lines.Count(l => l.Contains("Could not rate", StringComparison.Ordinal)));
        Assert.Contains("  2026-01-01", file, StringComparison.Ordinal);   // the exception's own line, indented

        // Console: the app's own formatter writes one line per entry (and indents the exception below it).
        var formatter = app.App.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == "starsync");
        using var console = new StringWriter();
        formatter.Write(new LogEntry<string>(LogLevel.Warning, "StarSync.Rating.ChangeWriter", default, $"Could not rate {EvilArtist} - {EvilTitle}",
            new InvalidOperationException("bad\n" + Forged), (s, _) => s), null, console);
        var consoleLines = console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("Could not rate Band\\n2026", consoleLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(consoleLines, l => l.StartsWith("2026-01-01", StringComparison.Ordinal));
        Assert.DoesNotContain('\u001b', console.ToString());
    }

    [Theory]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("a\r\nb", "a\\r\\nb")]
    [InlineData("red \u001b[31m", "red \\u001b[31m")]
    [InlineData("osc \u001b]0;t\u0007", "osc \\u001b]0;t\\u0007")]
    [InlineData("c1 \u009b31m", "c1 \\u009b31m")]
    [InlineData("ls \u2028 ps \u2029", "ls \\u2028 ps \\u2029")]
    [InlineData("bidi \u202e", "bidi \\u202e")]
    [InlineData("Beyoncé – Déjà Vu ★", "Beyoncé – Déjà Vu ★")]
    public void OneLine_writes_controls_as_visible_escapes_and_leaves_other_text_alone(string input, string expected) =>
        Assert.Equal(expected, LogScrubber.OneLine(input));

    [Fact]
    public void Scrubber_masks_secrets_after_neutralising()
    {
        var scrubber = new LogScrubber(new SecretRedactor(["s3cr3t-token"]));

        Assert.Equal("token [redacted]\\nnext", scrubber.Message("token s3cr3t-token\nnext"));
    }

    private static void AssertNeutral(string text)
    {
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.DoesNotContain('\u0085', text);
        Assert.DoesNotContain('\u2028', text);
    }

    private static Task<string> ReadLogFileAsync(string directory, string waitFor, TimeSpan timeout) =>
        Eventually.ValueAsync(
            async () =>
            {
                foreach (var path in Directory.Exists(directory) ? Directory.GetFiles(directory, "starsync*.log") : [])
                {
                    await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    using var reader = new StreamReader(stream);
                    var text = await reader.ReadToEndAsync();
                    if (text.Contains(waitFor, StringComparison.Ordinal))
                    {
                        return text;
                    }
                }

                return "";
            },
            text => text.Length > 0,
            $"a log file in {directory} containing '{waitFor}'",
            (int)timeout.TotalSeconds);
}
