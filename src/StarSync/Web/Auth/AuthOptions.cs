using Microsoft.Extensions.Options;

namespace StarSync.Web.Auth;

/// <summary>The single login of the web UI (env APP_USERNAME / APP_PASSWORD, the old tool's names).</summary>
public sealed class AuthOptions
{
    /// <summary>User name to log in with (env APP_USERNAME).</summary>
    public string Username { get; set; } = "";

    /// <summary>Password to log in with (env APP_PASSWORD).</summary>
    public string Password { get; set; } = "";
}

/// <summary>Start-up check: both values must be set, with a message naming the variables.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public const string MissingMessage =
        "APP_USERNAME and APP_PASSWORD must be set: the web UI requires a login. Set both environment variables (for example in .env).";

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Username) || string.IsNullOrEmpty(options.Password))
        {
            var missing = string.Join(" and ", new[] { ("APP_USERNAME", options.Username), ("APP_PASSWORD", options.Password) }
                .Where(p => string.IsNullOrWhiteSpace(p.Item2)).Select(p => p.Item1));
            return ValidateOptionsResult.Fail($"{MissingMessage} Missing: {missing}.");
        }

        return ValidateOptionsResult.Success;
    }
}
