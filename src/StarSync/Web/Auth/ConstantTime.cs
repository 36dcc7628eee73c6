using System.Security.Cryptography;
using System.Text;

namespace StarSync.Web.Auth;

/// <summary>The one comparison of secrets (password, API key, webhook secret, session stamp).</summary>
public static class ConstantTime
{
    /// <summary>
    /// True when both strings are equal. Both are hashed first, so the time taken reveals neither where they differ
    /// nor the secret's length.
    /// </summary>
    public static bool SecretEquals(string actual, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(actual)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
