using System.Reflection;

namespace StarSync.Web;

/// <summary>The version StarSync shows in the footer and in <c>/api/v1/status</c>: the project's Version, plus the short commit when the build knew it.</summary>
public static class AppVersion
{
    /// <summary>For example "1.1.0" or "1.1.0 (6d76cd5)".</summary>
    public static string Current { get; } = Describe(typeof(AppVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);

    /// <summary>"1.1.0+6d76cd5f…" (the SDK appends the commit) becomes "1.1.0 (6d76cd5)".</summary>
    internal static string Describe(string? informational)
    {
        if (string.IsNullOrWhiteSpace(informational))
        {
            return "unknown";
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return informational;
        }

        var commit = informational[(plus + 1)..];
        return $"{informational[..plus]} ({commit[..Math.Min(7, commit.Length)]})";
    }
}
