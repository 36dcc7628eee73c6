using StarSync.Web.Logging;

namespace StarSync.LiveLog;

/// <summary>Feeds log lines, rendered and redacted, into the <see cref="LiveFeed"/>.</summary>
[ProviderAlias("LiveLog")]
public sealed class LiveLogLoggerProvider(LiveFeed feed, SecretRedactor redactor) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new LiveLogLogger(categoryName, feed, redactor);

    public void Dispose()
    {
    }

    private sealed class LiveLogLogger(string category, LiveFeed feed, SecretRedactor redactor) : ILogger
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

            var message = redactor.Redact(formatter(state, exception));
            // The UI shows what went wrong in words; the stack trace stays in the log file.
            var error = exception is null ? null : redactor.Redact(Describe(exception));
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
