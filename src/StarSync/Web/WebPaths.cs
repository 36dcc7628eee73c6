namespace StarSync.Web;

/// <summary>Paths the web shell treats specially.</summary>
public static class WebPaths
{
    /// <summary>Login page.</summary>
    public const string Login = "/login";

    /// <summary>Logout (POST only).</summary>
    public const string Logout = "/logout";

    /// <summary>Error page (exceptions and status codes of pages).</summary>
    public const string Error = "/error";

    /// <summary>Prefix of every JSON endpoint: 401/403 instead of redirects, ProblemDetails, antiforgery header.</summary>
    public const string ApiPrefix = "/api";

    /// <summary>The OpenAPI document describing the API; treated like the API (API key, 401 instead of a redirect).</summary>
    public const string OpenApiPrefix = "/openapi";

    /// <summary>True for JSON API paths.</summary>
    public static bool IsApi(PathString path) =>
        path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(OpenApiPrefix, StringComparison.OrdinalIgnoreCase);
}
