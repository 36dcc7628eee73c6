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
        // Hashing first makes both sides the same length, so FixedTimeEquals leaks not even the length.
        var userOk = FixedTimeEquals(username ?? "", expected.Username);
        var passwordOk = FixedTimeEquals(password ?? "", expected.Password);
        return userOk & passwordOk; // no short-circuit: always compare both
    }

    /// <summary>Constant-time comparison of two strings of any length.</summary>
    public static bool FixedTimeEquals(string actual, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(actual)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

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
