using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using StarSync.Web.Hosting;

namespace StarSync.Pages;

/// <summary>The page behind exceptions and error status codes of pages (the API answers with ProblemDetails instead).</summary>
[IgnoreAntiforgeryToken] // re-executed POSTs land here too
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    public string Title { get; private set; } = "Error";

    public string Detail { get; private set; } = "";

    public string? TraceId { get; private set; }

    public void OnGet(int? code) => Describe(code);

    public void OnPost(int? code) => Describe(code);

    private void Describe(int? code)
    {
        if (HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error is { } exception)
        {
            (Status, Title, Detail) = ExceptionMap.Describe(exception);
            TraceId = Activity.Current?.Id ?? HttpContext.TraceIdentifier;
        }
        else
        {
            // The code only counts when the status-code pages re-executed us; typed into the address bar it would let
            // anyone make this page answer with any status line (101, 204, ...).
            var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not null;
            Status = reExecuted && code is >= 400 and <= 599 ? code.Value
                : Response.StatusCode is >= 400 and <= 599 ? Response.StatusCode
                : StatusCodes.Status404NotFound;
            (Title, Detail) = Status switch
            {
                StatusCodes.Status400BadRequest => ("Bad request", "The form was out of date or incomplete. Reload the page and try again."),
                StatusCodes.Status403Forbidden => ("Not allowed", "You are not allowed to do that."),
                StatusCodes.Status404NotFound => ("Page not found", "There is no page at this address."),
                StatusCodes.Status405MethodNotAllowed => ("Not allowed", "This address does not accept that kind of request."),
                _ => ("Error", "The request could not be completed."),
            };
        }

        Response.StatusCode = Status;
    }
}
