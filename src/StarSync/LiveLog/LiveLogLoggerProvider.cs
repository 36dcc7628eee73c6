using StarSync.Web.Logging;

namespace StarSync.LiveLog;

/// <summary>Feeds log lines, rendered and scrubbed, into the <see cref="LiveFeed"/>.</summary>
[ProviderAlias("LiveLog")]
public sealed class LiveLogLoggerProvider(LiveFeed feed, LogScrubber scrubber) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new LiveLogLogger(categoryName, feed, scrubber);

    public void Dispose()
    {
    }

    private sealed class LiveLogLogger(string category, LiveFeed feed, LogScrubber scrubber) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = scrubber.Message(formatter(state, exception));
            // The UI shows what went wrong in words; the stack trace stays in the log file.
            var error = exception is null ? null : scrubber.Message(Describe(exception));
            feed.Append(logLevel.ToString(), category, message, error);
        }

        private static string Describe(Exception exception)
        {
            var parts = new List<string>();
            for (var e = exception; e is not null && parts.Count < 4; e = e.InnerException)
            {
                parts.Add($"{e.GetType().Name}: {e.Message}");
            }

            return string.Join(" ---> ", parts);
        }
    }
}
