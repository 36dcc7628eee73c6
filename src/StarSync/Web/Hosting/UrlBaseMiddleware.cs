using Microsoft.AspNetCore.Builder.Extensions;
using Microsoft.Extensions.Options;

namespace StarSync.Web.Hosting;

/// <summary>UsePathBase with URL_BASE from <see cref="HostingOptions"/> (nothing to do when it is empty).</summary>
internal sealed class UrlBaseMiddleware(RequestDelegate next, IOptions<HostingOptions> options)
{
    private readonly RequestDelegate _handler = options.Value.UrlBase is { Length: > 0 } urlBase
        ? new UsePathBaseMiddleware(next, urlBase).Invoke
        : next;

    public Task InvokeAsync(HttpContext context) => _handler(context);
}
