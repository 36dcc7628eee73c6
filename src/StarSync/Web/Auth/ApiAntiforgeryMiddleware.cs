using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace StarSync.Web.Auth;

/// <summary>
/// A browser's cookie rides along on any request, so every state-changing API call authenticated by the cookie must
/// also carry the antiforgery token in the <c>RequestVerificationToken</c> header (the layout renders it in a meta tag).
/// Applies to every /api endpoint, whoever maps it. API-key requests are not exposed to CSRF and skip the check.
/// </summary>
internal sealed class ApiAntiforgeryMiddleware(RequestDelegate next, IAntiforgery antiforgery, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (WebPaths.IsApi(context.Request.Path)
            && !HttpMethods.IsGet(context.Request.Method)
            && !HttpMethods.IsHead(context.Request.Method)
            && !HttpMethods.IsOptions(context.Request.Method)
            && !HttpMethods.IsTrace(context.Request.Method)
            && context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieAuthenticationDefaults.AuthenticationScheme }
            && !await antiforgery.IsRequestValidAsync(context))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "Invalid or missing antiforgery token",
                    Detail = "Reload the page and try again.",
                },
            });
            return;
        }

        await next(context);
    }
}
