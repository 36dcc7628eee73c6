using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace StarSync.Web.Hosting;

/// <summary>Answers unhandled exceptions on API paths with ProblemDetails; pages fall through to the /error page.</summary>
internal sealed partial class ProblemDetailsExceptionHandler(IProblemDetailsService problemDetails, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // The middleware has already pointed Request.Path at /error; the feature keeps the original path.
        var path = httpContext.Features.Get<IExceptionHandlerPathFeature>()?.Path ?? httpContext.Request.Path;
        if (!WebPaths.IsApi(path))
        {
            return false; // the middleware logs and re-executes /error, which renders the same map as a page
        }

        var (status, title, detail) = ExceptionMap.Describe(exception);
        if (status >= StatusCodes.Status500InternalServerError)
        {
            // Handled exceptions are not logged by the middleware (.NET 10), so log here, once.
            LogUnhandled(logger, exception, httpContext.Request.Method, path);
        }

        httpContext.Response.StatusCode = status;
        var body = exception is BadHttpRequestException badRequest ? RequestBodyProblem.Describe(
            // The middleware has cleared the endpoint too; the feature keeps the one that failed.
            httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint, badRequest, json.Value.SerializerOptions) : null;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = body ?? new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
