using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using StarSync.Web;
using StarSync.Web.Auth;

namespace StarSync.Pages;

/// <summary>The login form: constant-time check, throttled per client address, local return URLs only.</summary>
public sealed class LoginModel(CredentialChecker credentials, LoginThrottle throttle, ILogger<LoginModel> logger) : PageModel
{
    /// <summary>Where to go after logging in; ignored unless it is a local URL.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>The user name typed, kept after a failed attempt.</summary>
    [BindProperty]
    public string? Username { get; set; }

    /// <summary>Never echoed back.</summary>
    [BindProperty]
    public string? Password { get; set; }

    /// <summary>Shown above the form.</summary>
    public string? ErrorMessage { get; private set; }

    public IActionResult OnGet()
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            return LocalRedirect(SafeReturnUrl());
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var address = HttpContext.Connection.RemoteIpAddress;
        var addressText = address?.ToString() ?? "unknown";
        if (throttle.Check(address) is { } block)
        {
            return Throttled(addressText, block);
        }

        if (!credentials.IsValid(Username, Password))
        {
            throttle.RecordFailure(address);
            WebLog.LoginFailed(logger, addressText);
            if (throttle.Check(address) is { } blocked)
            {
                return Throttled(addressText, blocked);
            }

            ErrorMessage = "Wrong user name or password.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }

        throttle.Reset(address);
        await HttpContext.SignInUserAsync(Username!);
        WebLog.LoggedIn(logger, Username!, addressText);
        return LocalRedirect(SafeReturnUrl());
    }

    private PageResult Throttled(string address, LoginBlock block)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling(block.Wait.TotalMinutes));
        var inMinutes = minutes == 1 ? "1 minute" : $"{minutes} minutes";
        if (block.Scope == LoginBlockScope.Everyone)
        {
            WebLog.LoginPausedForEveryone(logger, address, minutes);
            ErrorMessage = $"Too many failed logins from many addresses: every login is paused. Try again in {inMinutes}. "
                + "Browsers already signed in and the API key keep working; restarting StarSync also lifts the pause.";
        }
        else
        {
            WebLog.LoginThrottled(logger, address, minutes);
            ErrorMessage = $"Too many failed logins from your address. Try again in {inMinutes}.";
        }

        Response.StatusCode = StatusCodes.Status429TooManyRequests;
        Response.Headers.RetryAfter = ((int)Math.Ceiling(block.Wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Page();
    }

    // Only local paths: an absolute or protocol-relative URL (//evil.com) would make the login page an open redirect;
    // only printable ASCII, because anything else cannot go into a Location header. "~/" keeps URL_BASE.
    private string SafeReturnUrl() =>
        !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) && ReturnUrl.All(c => c is > ' ' and < (char)127) ? ReturnUrl : "~/";
}
