using System.Text.RegularExpressions;
using Microsoft.Extensions.Primitives;
using StarSync.Plex;

namespace StarSync.Web.Logging;

/// <summary>
/// Masks secrets in log text: any <c>X-Plex-Token=...</c> / <c>X-Api-Key: ...</c> value, and the literal values of
/// the configured secrets (PLEX_TOKEN, APP_PASSWORD, plus any added at run time such as the API key).
/// Used by the console, the log file and the live log alike.
/// </summary>
public sealed partial class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = PlexRedaction.Placeholder;

    /// <summary>Configuration keys whose values are secrets.</summary>
    public static readonly IReadOnlyList<string> SecretKeys = ["PLEX_TOKEN", "APP_PASSWORD"];

    // Shorter values would match all over ordinary text (a token "x" would mask every x) and protect little.
    private const int MinimumSecretLength = 4;

    private readonly Lock _lock = new();
    private readonly HashSet<string> _configured = new(StringComparer.Ordinal);
    private readonly HashSet<string> _added = new(StringComparer.Ordinal);
    private string[] _secrets = [];   // longest first, replaced as a whole array so readers need no lock

    /// <summary>A redactor for the given literal secrets (values shorter than 4 characters are ignored).</summary>
    public SecretRedactor(IEnumerable<string?> secrets)
    {
        SetConfigured(secrets);
    }

    /// <summary>A redactor that follows the secret keys of <paramref name="configuration"/>, also after a reload.</summary>
    public static SecretRedactor FromConfiguration(IConfiguration configuration)
    {
        var redactor = new SecretRedactor(Read(configuration));
        ChangeToken.OnChange(configuration.GetReloadToken, () => redactor.SetConfigured(Read(configuration)));
        return redactor;
    }

    /// <summary>Adds a secret known only at run time (for example an API key from the settings file).</summary>
    public void AddSecret(string? secret)
    {
        if (IsUsable(secret))
        {
            lock (_lock)
            {
                _added.Add(secret!);
                Publish();
            }
        }
    }

    /// <summary>Returns <paramref name="text"/> with every secret replaced by <see cref="Mask"/>.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public string? Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        // Plex's token shapes (query, header, JSON, plex.tv attributes) are known in one place, Plex/PlexRedaction.
        var result = PlexRedaction.Redact(text);
        foreach (var secret in Volatile.Read(ref _secrets))
        {
            result = result.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return ApiKeyParameter().Replace(result, m => m.Groups["value"].Value == Mask ? m.Value : $"{m.Groups["name"].Value}{m.Groups["sep"].Value}{Mask}");
    }

    private static IEnumerable<string?> Read(IConfiguration configuration) => SecretKeys.Select(key => configuration[key]);

    private static bool IsUsable(string? secret) => secret is not null && secret.Trim().Length >= MinimumSecretLength;

    private void SetConfigured(IEnumerable<string?> secrets)
    {
        lock (_lock)
        {
            _configured.Clear();
            foreach (var secret in secrets)
            {
                if (IsUsable(secret))
                {
                    _configured.Add(secret!);
                }
            }

            Publish();
        }
    }

    private void Publish()
    {
        // Longest first, so a secret that contains another is masked whole.
        Volatile.Write(ref _secrets, [.. _configured.Concat(_added).Distinct().OrderByDescending(s => s.Length)]);
    }

    // X-Api-Key=abc (query), X-Api-Key: abc (header), "X-Api-Key":"abc" (JSON), X-Api-Key%3Dabc (encoded).
    [GeneratedRegex("""(?<name>X-Api-Key)(?<sep>["']?\s*[=:]\s*["']?|%3D)(?<value>[^&\s"',;<>]+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ApiKeyParameter();
}
