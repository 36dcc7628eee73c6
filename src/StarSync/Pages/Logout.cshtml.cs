using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using StarSync.Web;
using StarSync.Web.Auth;

namespace StarSync.Pages;

/// <summary>Logs out on POST (with antiforgery, like every form); a GET just goes home.</summary>
public sealed class LogoutModel(ILogger<LogoutModel> logger) : PageModel
{
    public IActionResult OnGet() => LocalRedirect("~/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutUserAsync();
        WebLog.LoggedOut(logger, User.Identity?.Name ?? "?");
        return RedirectToPage("/Login");
    }
}
