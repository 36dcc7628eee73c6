namespace StarSync.Web.Hosting;

/// <summary>
/// Headers every response carries: no framing (clickjacking the Clear or Regenerate buttons), a strict
/// Content-Security-Policy (scripts and styles only from StarSync itself, nothing inline), no MIME sniffing, no
/// referrers to other sites, and no caching of API answers (the settings answer holds the API key).
/// </summary>
internal static class SecurityHeaders
{
    private const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; form-action 'self'; object-src 'none'; base-uri 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = Policy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            if (WebPaths.IsApi(context.Request.Path))
            {
                headers.CacheControl = "no-cache, no-store";
            }

            return Task.CompletedTask;
        });
        return next(context);
    });
}
