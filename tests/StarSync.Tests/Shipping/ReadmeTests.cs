using System.Globalization;
using System.Text.RegularExpressions;
using StarSync.Configuration;
using StarSync.Plex;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Shipping;

/// <summary>The README's configuration table says what the code does: every setting has a row, with the code's default.</summary>
[Trait("Category", "Unit")]
public sealed partial class ReadmeTests
{
    [Fact]
    public void Every_setting_on_the_Settings_page_has_a_row_in_the_README_configuration_table_with_the_code_default()
    {
        var rows = ConfigurationRows();
        var defaults = new StarSyncSettings();
        var plex = new PlexOptions();
        var expected = new Dictionary<string, string>
        {
            [SettingFields.BatchSize.Variable] = Number(defaults.BatchSize),
            [SettingFields.BatchIntervalMinutes.Variable] = Number(defaults.BatchIntervalMinutes),
            [SettingFields.WriteBatchSize.Variable] = Number(StarSyncSettings.DefaultWriteBatchSize),
            [SettingFields.WriteConcurrency.Variable] = defaults.WriteConcurrency == StarSyncSettings.AutoWriteConcurrency ? "auto" : Number(defaults.WriteConcurrency),
            [SettingFields.WriteMode.Variable] = defaults.WriteMode.ToString().ToLowerInvariant(),
            [SettingFields.PlexNotifications.Variable] = defaults.PlexNotifications ? "true" : "false",
            [SettingFields.PlexTimeoutSeconds.Variable] = Number(plex.TimeoutSeconds),
            [SettingFields.PlexPageSize.Variable] = Number(plex.PageSize),
            [SettingFields.Libraries.Variable] = string.Join(',', defaults.Libraries),
        };

        Assert.All(SettingFields.All, field => Assert.True(rows.ContainsKey(field.Variable),
            $"README.md's configuration table has no row for {field.Variable} (the Settings page shows it as \"{field.Label}\")."));
        Assert.All(expected, kv => Assert.True(rows[kv.Key] == kv.Value,
            $"README.md says {kv.Key} defaults to `{rows[kv.Key]}`, the code to `{kv.Value}`."));
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Variable → default, from rows like "| `BATCH_SIZE` | `500` | …" (a row may name several variables).</summary>
    private static Dictionary<string, string> ConfigurationRows()
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(TestHost.RepositoryRoot(), "README.md")))
        {
            var cells = line.Split('|');
            if (cells.Length < 4 || !line.StartsWith("| `", StringComparison.Ordinal))
            {
                continue;
            }

            var defaultCell = DefaultValue().Match(cells[2]);
            foreach (Match name in VariableName().Matches(cells[1]))
            {
                rows[name.Groups[1].Value] = defaultCell.Success ? defaultCell.Groups[1].Value : cells[2].Trim();
            }
        }

        return rows;
    }

    [GeneratedRegex("`([A-Z][A-Z0-9_]+)`")]
    private static partial Regex VariableName();

    [GeneratedRegex("^\\s*`([^`]*)`")]
    private static partial Regex DefaultValue();
}
