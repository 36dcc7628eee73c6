using Microsoft.AspNetCore.Antiforgery;
using StarSync.Plex;

namespace StarSync.Web.Hosting;

/// <summary>The one place that decides how an unhandled exception looks to a client: status, title and detail in words, never a stack trace.</summary>
public static class ExceptionMap
{
    /// <summary>Status code, title and user-facing detail for <paramref name="exception"/>.</summary>
    public static (int Status, string Title, string Detail) Describe(Exception exception) => exception switch
    {
        PlexAuthenticationException e => (StatusCodes.Status502BadGateway, "Plex refused the token", e.Message),
        PlexNotFoundException e => (StatusCodes.Status404NotFound, "Not found on the Plex server", e.Message),
        // PlexException messages are written for users and never carry the token.
        PlexException e => (StatusCodes.Status502BadGateway, "Plex could not be reached", e.Message),
        AntiforgeryValidationException => (StatusCodes.Status400BadRequest, "Invalid or missing antiforgery token", "Reload the page and try again."),
        BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
        TimeoutException => (StatusCodes.Status504GatewayTimeout, "Timed out", "The operation took too long. Try again."),
        _ => (StatusCodes.Status500InternalServerError, "Unexpected error", "Something went wrong on the server. The log file has the details."),
    };
}
