using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace StarSync.Plex;

/// <summary>Registers the typed Plex client.</summary>
public static class PlexServiceCollectionExtensions
{
    /// <summary>Set on a request that the pipeline must not retry (its caller retries it without holding a slot).</summary>
    internal static readonly HttpRequestOptionsKey<bool> NoRetry = new("StarSync.Plex.NoRetry");

    /// <summary>
    /// The client of one-per-track rating writes (<see cref="IPlexClient.WriteRatingOnceAsync"/>): the same handlers as
    /// the typed client but no resilience pipeline. Its caller does what the pipeline would: it retries each write
    /// after its backoff without holding a slot, halves the writes in flight on a 5xx or timeout, and stops the job
    /// after <c>ChangeWriter.MaxConsecutiveFailures</c> failures in a row; <see cref="PlexClient"/> bounds each write by
    /// PLEX_TIMEOUT_SECONDS and sends none while the breaker has paused requests. The pipeline's per-call work (two
    /// timeouts, the breaker's window, a concurrency lease) was a fifth of the web app's CPU per write in single mode
    /// (docs/benchmarks.md, "2026-12-01, second session: one write per track on a parallel server").
    /// </summary>
    internal const string WritesClient = "StarSync.Plex.Writes";

    /// <summary>Adds <see cref="IPlexClient"/> with its resilience pipeline. Reads <see cref="PlexOptions"/> from DI.</summary>
    public static IServiceCollection AddPlex(this IServiceCollection services)
    {
        services.AddOptions<PlexResilienceOptions>();
        services.TryAddTransient<PlexBufferingHandler>();
        services.TryAddSingleton<PlexHttpLogger>();
        services.TryAddSingleton<PlexCircuit>();
        // Resilience-pipeline internals (each failed attempt, retry, circuit transition) are Debug lines for the file log;
        // the live log gets one Warning per failed request from PlexClient, with its cause. Successful attempts are not
        // logged, and neither is every call's start and successful end (PollyLogFilter).
        services.Configure<TelemetryOptions>(o => o.SeverityProvider = static args =>
            args.Event.EventName == "ExecutionAttempt" && args.Event.Severity <= ResilienceEventSeverity.Information
                ? ResilienceEventSeverity.None
                : ResilienceEventSeverity.Debug);
        services.AddOptions<TelemetryOptions>().PostConfigure(o => o.LoggerFactory = new PollyLogFilter(o.LoggerFactory));

        var client = services.AddHttpClient<IPlexClient, PlexClient>(ConfigureHttpClient);
        // The factory's default loggers keep raw header values (the token) in their structured state; see PlexHttpLogger.
        client.RemoveAllLoggers();
        client.AddLogger<PlexHttpLogger>();
        // The rating job and the status cache are singletons that keep their typed client, so the factory's handler
        // rotation never happens for them; recycling pooled connections instead picks up a Plex host whose address
        // changed (DHCP, container restart), as Microsoft's guidance for long-lived clients advises.
        client.ConfigurePrimaryHttpMessageHandler(PrimaryHandler).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        client.AddStandardResilienceHandler().Configure(ConfigureResilience);
        // Added after the resilience handler, so it runs inside each attempt (see PlexBufferingHandler).
        client.AddHttpMessageHandler<PlexBufferingHandler>();

        var writes = services.AddHttpClient(WritesClient, ConfigureHttpClient);
        writes.RemoveAllLoggers();
        writes.AddLogger<PlexHttpLogger>();
        writes.ConfigurePrimaryHttpMessageHandler(PrimaryHandler).SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        writes.AddHttpMessageHandler<PlexBufferingHandler>();
        return services;
    }

    private static SocketsHttpHandler PrimaryHandler() => new() { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };

    private static void ConfigureHttpClient(IServiceProvider services, HttpClient client)
    {
        // The base URL and token are read per request (PlexOptions may change at run time); these never change.
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        client.DefaultRequestHeaders.Add("X-Plex-Product", PlexClient.Product);
        client.DefaultRequestHeaders.Add("X-Plex-Version", PlexClient.ProductVersion);
        client.DefaultRequestHeaders.Add("X-Plex-Platform", ".NET");
        // The pipeline's total timeout bounds each call; HttpClient's own 100 s default would cut it short.
        client.Timeout = Timeout.InfiniteTimeSpan;
    }

    private static void ConfigureResilience(HttpStandardResilienceOptions options, IServiceProvider services)
    {
        var plex = services.GetRequiredService<IOptionsMonitor<PlexOptions>>();
        var knobs = services.GetRequiredService<IOptions<PlexResilienceOptions>>().Value;

        // The static timeouts below only satisfy the pipeline's validation; the generators read the current
        // PLEX_TIMEOUT_SECONDS per request, so a settings change applies without a restart.
        var attempt = TimeSpan.FromSeconds(Math.Max(1, plex.CurrentValue.TimeoutSeconds));
        options.AttemptTimeout.Timeout = attempt;
        options.AttemptTimeout.TimeoutGenerator = _ =>
            ValueTask.FromResult(TimeSpan.FromSeconds(Math.Max(1, plex.CurrentValue.TimeoutSeconds)));

        // Generous: every attempt may use its full timeout, plus the backoff between them.
        options.TotalRequestTimeout.Timeout = TotalTimeout(attempt, knobs);
        options.TotalRequestTimeout.TimeoutGenerator = _ =>
            ValueTask.FromResult(TotalTimeout(TimeSpan.FromSeconds(Math.Max(1, plex.CurrentValue.TimeoutSeconds)), knobs));

        // Retry 5xx, 408, 429, timeouts and connection failures with jittered exponential backoff, never 400/401/404.
        // Every method is retried, PUT included: PUT /:/rate sets an absolute value, so repeating it is harmless.
        options.Retry.MaxRetryAttempts = knobs.MaxRetryAttempts;
        options.Retry.Delay = knobs.RetryBaseDelay;
        options.Retry.MaxDelay = knobs.RetryMaxDelay;
        options.Retry.BackoffType = DelayBackoffType.Exponential;
        options.Retry.UseJitter = true;
        options.Retry.ShouldRetryAfterHeader = true;
        // Rating writes are the exception: ChangeWriter re-queues a failed write after its backoff, so the backoff does
        // not hold one of the WRITE_CONCURRENCY slots other writes could use (issue 9 item 10).
        options.Retry.ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome)
            && !(args.Context.GetRequestMessage()?.Options.TryGetValue(NoRetry, out var noRetry) == true && noRetry));

        options.CircuitBreaker.FailureRatio = knobs.CircuitBreakerFailureRatio;
        options.CircuitBreaker.MinimumThroughput = knobs.CircuitBreakerMinimumThroughput;
        options.CircuitBreaker.BreakDuration = knobs.CircuitBreakerBreakDuration;
        // The pipeline requires the window to span at least two attempt timeouts.
        options.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, attempt.Ticks * 2));
        options.CircuitBreaker.ShouldHandle = static args => ValueTask.FromResult(IsTransient(args.Outcome));
        var circuit = services.GetRequiredService<PlexCircuit>();
        options.CircuitBreaker.ManualControl = circuit.Control;
        options.CircuitBreaker.StateProvider = circuit.State;
    }

    private static TimeSpan TotalTimeout(TimeSpan attempt, PlexResilienceOptions knobs) =>
        attempt * (knobs.MaxRetryAttempts + 1) + knobs.RetryMaxDelay * knobs.MaxRetryAttempts + TimeSpan.FromSeconds(10);

    // 408, 429, 5xx, HttpRequestException (refused, reset, dropped) and per-try timeouts. Everything else, notably
    // 400/401/404, is an answer that repeating will not change.
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => HttpClientResiliencePredicates.IsTransient(outcome);

    /// <summary>
    /// Polly's logger without its two lines per call: "Resilience pipeline executing" and, unless the call ended in an
    /// exception, "Resilience pipeline executed". Polly 8 writes them at Debug whatever the severity provider says; they
    /// were 99.6% of the file log (two per Plex request: a 1M-track run in single mode would write 2M of them and roll
    /// the useful lines out of the 7 files kept) and 11% of the app's CPU in single mode.
    /// </summary>
    private sealed class PollyLogFilter(ILoggerFactory inner) : ILoggerFactory
    {
        private const int PipelineExecuting = 1;
        private const int PipelineExecuted = 2;

        public ILogger CreateLogger(string categoryName) => new Filtered(inner.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
            // The inner factory is the host's; it is disposed with the host.
        }

        private sealed class Filtered(ILogger logger) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => logger.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => logger.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id == PipelineExecuting || (eventId.Id == PipelineExecuted && exception is null))
                {
                    return;
                }

                logger.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
