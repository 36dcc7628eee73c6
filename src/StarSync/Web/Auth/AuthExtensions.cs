using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StarSync.Configuration;

namespace StarSync.Web.Auth;

/// <summary>Login cookie, API key, antiforgery, Data Protection keys and the "everything needs a login" policy.</summary>
internal static class AuthExtensions
{
    /// <summary>Picks the cookie or the API key per request.</summary>
    public const string PolicyScheme = "StarSync";

    public const string SessionCookieName = "StarSync.Session";
    public const string AntiforgeryCookieName = "StarSync.Antiforgery";
    public const string AntiforgeryHeaderName = "RequestVerificationToken";

    /// <summary>Sliding cookie lifetime: a week without a visit logs out; a visit renews it (and the server-side session, see <see cref="SessionStore"/>).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(7);

    public static WebApplicationBuilder AddStarSyncAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                options.Username = configuration["APP_USERNAME"] ?? "";
                options.Password = configuration["APP_PASSWORD"] ?? "";
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<CredentialChecker>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<SessionStore>();
        services.TryAddSingleton<IApiKeyProvider, NoApiKeyProvider>();

        // Keys in the config directory: sessions and antiforgery tokens survive a restart or a new container. Whoever
        // can read these keys can forge a session: the folder is created owner-only by the configuration start-up step.
        var paths = new StarSyncPaths(builder.Configuration);

        services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(paths.KeysDirectory))
            .SetApplicationName("StarSync");

        services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "Cookie or API key", options =>
            {
                options.ForwardDefaultSelector = context =>
                    WebPaths.IsApi(context.Request.Path) && context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName)
                        ? ApiKeyAuthenticationHandler.SchemeName
                        : CookieAuthenticationDefaults.AuthenticationScheme;
            })
            .AddCookie(options =>
            {
                options.Cookie.Name = SessionCookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;              // Strict would log out links from other sites
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure behind an https proxy (X-Forwarded-Proto)
                options.ExpireTimeSpan = SessionLifetime;
                options.SlidingExpiration = true;
                options.LoginPath = WebPaths.Login;
                options.LogoutPath = WebPaths.Logout;
                options.AccessDeniedPath = WebPaths.Login;
                options.ReturnUrlParameter = "returnUrl";
                options.Events.OnValidatePrincipal = RejectStaleCredentials;
                options.Events.OnRedirectToLogin = context => ApiAwareRedirect(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => ApiAwareRedirect(context, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddAntiforgery(options =>
        {
            options.HeaderName = AntiforgeryHeaderName;
            options.Cookie.Name = AntiforgeryCookieName;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        return builder;
    }

    /// <summary>Signs in the single user with a persistent, sliding session cookie.</summary>
    public static async Task SignInUserAsync(this HttpContext context, string username)
    {
        var stamp = context.RequestServices.GetRequiredService<CredentialChecker>().CurrentStamp();
        var session = await context.RequestServices.GetRequiredService<SessionStore>().StartAsync(context.RequestAborted);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, username), new Claim(CredentialStampClaim, stamp), new Claim(SessionClaim, session)],
            CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(
            CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = true });
    }

    /// <summary>Claim holding <see cref="CredentialChecker.CurrentStamp"/> at sign-in.</summary>
    public const string CredentialStampClaim = "starsync:credentials";

    /// <summary>Claim holding the <see cref="SessionStore"/> id of the session.</summary>
    public const string SessionClaim = "starsync:session";

    /// <summary>Ends the signed-in session for good (the cookie, and any copy of it), then clears the cookie.</summary>
    public static async Task SignOutUserAsync(this HttpContext context)
    {
        await context.RequestServices.GetRequiredService<SessionStore>().EndAsync(context.User.FindFirst(SessionClaim)?.Value, context.RequestAborted);
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    // A session that was logged out, or signed in with other credentials (APP_PASSWORD changed since), is over.
    private static async Task RejectStaleCredentials(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var stamp = context.Principal?.FindFirst(CredentialStampClaim)?.Value;
        var current = services.GetRequiredService<CredentialChecker>().CurrentStamp();
        var session = context.Principal?.FindFirst(SessionClaim)?.Value;
        if (stamp is null || !ConstantTime.SecretEquals(stamp, current)
            || !await services.GetRequiredService<SessionStore>().IsActiveAsync(session, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    // Scripts and fetch() need a status code, not an HTML login page.
    private static Task ApiAwareRedirect(RedirectContext<CookieAuthenticationOptions> context, int apiStatus)
    {
        if (WebPaths.IsApi(context.Request.Path))
        {
            context.Response.StatusCode = apiStatus;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
