using Microsoft.Extensions.Http.Logging;

namespace StarSync.Plex;

/// <summary>
/// Logs each HTTP attempt to Plex (method, path, status, time), replacing IHttpClientFactory's default loggers.
/// </summary>
/// <remarks>
/// The default loggers print header values as "*" at Trace, but the structured state of that same record still carries
/// the raw values (X-Plex-Token among them), so a structured sink (JSON console, Serilog properties) would write the
/// token. This logger never touches headers.
/// </remarks>
internal sealed partial class PlexHttpLogger(PlexCircuit circuit, ILogger<PlexHttpLogger> logger) : IHttpClientLogger
{
    public object? LogRequestStart(HttpRequestMessage request) => null;

    public void LogRequestStop(object? context, HttpRequestMessage request, HttpResponseMessage response, TimeSpan elapsed)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 || status is 408 or 429)
        {
            // Each failed attempt counts toward the circuit breaker: remember its cause, so "paused" can say it.
            circuit.Failed($"Plex answered HTTP {status} to {request.Method} {PathOnly(request)}.");
        }

        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var path = PathOf(request);
        var elapsedMs = (long)elapsed.TotalMilliseconds;
        AttemptCompleted(logger, request.Method.Method, path, (int)response.StatusCode, elapsedMs);
    }

    public void LogRequestFailed(object? context, HttpRequestMessage request, HttpResponseMessage? response, Exception exception, TimeSpan elapsed)
    {
        circuit.Failed(exception switch
        {
            HttpRequestException e => $"Could not reach Plex: {PlexClient.Describe(e)}.",
            OperationCanceledException => $"Plex did not answer {request.Method} {PathOnly(request)} in time.",
            _ => $"{request.Method} {PathOnly(request)} failed: {PlexRedaction.Redact(exception.Message)}",
        });
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var path = PathOf(request);
        var elapsedMs = (long)elapsed.TotalMilliseconds;
        var errorType = exception.GetType().Name;
        var error = PlexRedaction.Redact(exception.Message);
        AttemptFailed(logger, request.Method.Method, path, elapsedMs, errorType, error);
    }

    private static string PathOnly(HttpRequestMessage request) => PlexRedaction.Redact(request.RequestUri?.AbsolutePath ?? "");

    // Path and query only (the base URL is in the settings); redacted in case a caller ever puts a token in a query.
    private static string PathOf(HttpRequestMessage request) =>
        PlexRedaction.Redact(request.RequestUri?.PathAndQuery ?? "");

    [LoggerMessage(EventId = 1120, Level = LogLevel.Debug, Message = "HTTP {Method} {Path} answered {StatusCode} in {ElapsedMs} ms")]
    private static partial void AttemptCompleted(ILogger logger, string method, string path, int statusCode, long elapsedMs);

    [LoggerMessage(EventId = 1121, Level = LogLevel.Debug, Message = "HTTP {Method} {Path} failed after {ElapsedMs} ms: {ErrorType} {Error}")]
    private static partial void AttemptFailed(ILogger logger, string method, string path, long elapsedMs, string errorType, string error);
}
