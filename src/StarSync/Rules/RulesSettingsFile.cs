using System.Text.Json;
using System.Text.Json.Nodes;
using StarSync.Configuration;

namespace StarSync.Rules;

/// <summary>
/// The rules' part of settings.json, and its format version. Format 1 is the old tool's file (no
/// <c>settings_version</c>, no rules: the default rule set applies, built from rating_style, rating_value and
/// override_rating, so an old file means exactly what it meant). Format 2 adds <c>settings_version: 2</c> and an optional
/// <c>rules</c> array. The old format is read as it is and upgraded on the next save, after a copy of the old file is
/// kept beside it as <c>settings.json.v1.bak</c>.
/// </summary>
public static class RulesSettingsFile
{
    /// <summary>The settings.json format this version writes.</summary>
    public const int CurrentVersion = 2;

    /// <summary>The key of the format version.</summary>
    public const string VersionKey = "settings_version";

    /// <summary>Reads <c>settings_version</c> and <c>rules</c> from a parsed settings.json into <paramref name="settings"/>.</summary>
    public static StarSyncSettings Read(JsonObject root, StarSyncSettings settings, string file, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        var version = VersionOf(root);
        if (version is null)
        {
            errors.Add($"'{VersionKey}' in {file} is not a whole number. Fix it (this StarSync writes {CurrentVersion}) or delete the file.");
            return settings;
        }

        if (version > CurrentVersion)
        {
            errors.Add($"{file} was written by a newer StarSync (format {version}); this one reads formats up to {CurrentVersion}. Update StarSync or restore settings.json.v1.bak.");
            return settings;
        }

        if (root["rules"] is not { } node)
        {
            return settings with { Rules = null };
        }

        var ruleErrors = new Dictionary<string, string[]>();
        var rules = RuleJson.Parse(node, settings.RatingStyle, ruleErrors);
        foreach (var (key, messages) in ruleErrors)
        {
            errors.AddRange(messages.Select(m => $"'{key}' in {file}: {m}"));
        }

        return rules is null ? settings : settings with { Rules = rules };
    }

    /// <summary>Adds the version and the rules (when not the default set) to the JSON about to be saved.</summary>
    public static void Write(JsonObject json, StarSyncSettings settings)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(settings);
        json[VersionKey] = CurrentVersion;
        if (settings.Rules is not null)
        {
            json["rules"] = RuleJson.Write(settings.Rules);
        }
    }

    /// <summary>
    /// Before the first save over an older format: keeps the old file as <c>settings.json.v1.bak</c> (once; owner-only,
    /// as it holds the same secrets).
    /// </summary>
    public static void BackUpOldFormat(string file)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        var backup = file + ".v1.bak";
        if (!File.Exists(file) || File.Exists(backup))
        {
            return;
        }

        try
        {
            if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject root && VersionOf(root) >= CurrentVersion)
            {
                return;
            }
        }
        catch (JsonException)
        {
            // Unreadable: keep it too, it is what the user had.
        }

        File.Copy(file, backup);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(backup, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static int? VersionOf(JsonObject root) =>
        root[VersionKey] switch
        {
            null => 1,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d >= 1 => (int)d,
            _ => null,
        };
}
