using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace StarSync.Web.Auth;

/// <summary>Checks a user name and password against <see cref="AuthOptions"/> in constant time.</summary>
public sealed class CredentialChecker(IOptionsMonitor<AuthOptions> options)
{
    /// <summary>True when both match. Time does not depend on where (or whether) the values differ.</summary>
    public bool IsValid(string? username, string? password)
    {
        var expected = options.CurrentValue;
        var userOk = ConstantTime.SecretEquals(username ?? "", expected.Username);
        var passwordOk = ConstantTime.SecretEquals(password ?? "", expected.Password);
        return userOk & passwordOk; // no short-circuit: always compare both
    }

    /// <summary>
    /// A stamp of the current credentials, carried in the session cookie: when APP_USERNAME or APP_PASSWORD changes,
    /// every session signed in with the old ones stops working. One-way, so the cookie reveals nothing.
    /// </summary>
    public string CurrentStamp()
    {
        var expected = options.CurrentValue;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("starsync-session\0" + expected.Username + "\0" + expected.Password));
        return Convert.ToBase64String(hash, 0, 16);
    }
}
