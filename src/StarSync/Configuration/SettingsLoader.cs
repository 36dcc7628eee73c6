using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StarSync.Rating;

namespace StarSync.Configuration;

/// <summary>
/// Reads start-up settings from the old tool's environment variables and its config/settings.json (which wins, as it did
/// in the old tool), collecting every problem with the variable's name instead of guessing.
/// </summary>
public static class SettingsLoader
{
    /// <summary>Builds the settings, or throws <see cref="StartupConfigurationException"/> listing every problem.</summary>
    public static StarSyncSettings Load(IConfiguration configuration, string settingsFile)
    {
        var startup = new StartupSettings();
        Read(configuration, settingsFile, startup);
        return startup.Problems.Count > 0 ? throw new StartupConfigurationException(startup.Problems) : startup.Settings;
    }

    /// <summary>
    /// Reads the environment and settings.json into <paramref name="startup"/> without writing anything: problems are
    /// collected (each naming the variable or the file and the fix), missing secrets are generated in memory, and
    /// <see cref="StartupSettings.MustSave"/> says whether the start-up step has to write settings.json.
    /// </summary>
    public static void Read(IConfiguration configuration, string settingsFile, StartupSettings startup)
    {
        var errors = startup.Problems;
        var settings = FromEnvironment(configuration, errors);
        foreach (var field in SettingFields.All.Where(f => Value(configuration, f.Variable) is not null))
        {
            startup.SetInEnvironment.Add(field.Key);
        }

        string? fileWebhookSecret = null;
        string? fileApiKey = null;
        var fileExists = false;
        if (Directory.Exists(settingsFile))
        {
            errors.Add($"{settingsFile} is a directory, not a file: remove it (rmdir '{settingsFile}'), or point CONFIG_DIR at another folder. StarSync then writes settings.json from the environment.");
        }
        else if (File.Exists(settingsFile))
        {
            fileExists = true;
            settings = ApplyFile(settings, settingsFile, errors, out fileWebhookSecret, out fileApiKey, startup.SetInFile);
        }

        if (errors.Count == 0)
        {
            errors.AddRange(settings.Validate().SelectMany(e => e.Value));
        }

        // A secret set in the environment wins over the stored one (that is how a leaked secret is rotated), and replaces it.
        var (webhookSecret, webhookSource) = Pick(Value(configuration, "WEBHOOK_SECRET"), fileWebhookSecret);
        var (apiKey, apiKeySource) = Pick(Value(configuration, "API_KEY"), fileApiKey);
        startup.Settings = settings with { WebhookSecret = webhookSecret, ApiKey = apiKey };
        startup.WebhookSecretSource = webhookSource;
        startup.ApiKeySource = apiKeySource;
        // Like the old tool, the first start writes settings.json; generated or replaced secrets must be stored too.
        // Otherwise the file is left as it is (an old tool's file keeps its shape until settings change).
        startup.MustSave = !fileExists
            || webhookSource == SecretSource.Generated || apiKeySource == SecretSource.Generated
            || !string.Equals(webhookSecret, fileWebhookSecret, StringComparison.Ordinal)
            || !string.Equals(apiKey, fileApiKey, StringComparison.Ordinal);
    }

    private static (string Value, SecretSource Source) Pick(string? fromEnvironment, string? fromFile) =>
        fromEnvironment is { Length: > 0 } env ? (env, SecretSource.Environment)
        : fromFile is { Length: > 0 } stored ? (stored, SecretSource.SettingsFile)
        : (NewSecret(), SecretSource.Generated);

    /// <summary>A random URL-safe secret (for the webhook URL and the API key).</summary>
    public static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    private static StarSyncSettings FromEnvironment(IConfiguration config, List<string> errors)
    {
        var settings = new StarSyncSettings();
        if (Value(config, "LIBRARY_NAME") is { } libraries)
        {
            settings = settings with { Libraries = SplitList(libraries) };
        }

        if (Value(config, "RATING_STYLE") is { } style)
        {
            if (RatingScale.ParseStyle(style) is { } parsed)
            {
                settings = settings with { RatingStyle = parsed, TargetRating = parsed == RatingStyle.OneStar ? 1 : settings.TargetRating };
            }
            else
            {
                errors.Add($"RATING_STYLE '{style}' is not a rating style: use one of {RatingScale.AllowedStyles}.");
            }
        }

        if (Value(config, "TARGET_RATING") is { } target)
        {
            if (double.TryParse(target, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                settings = settings with { TargetRating = value };
            }
            else
            {
                errors.Add($"TARGET_RATING '{target}' is not a number: use {RatingScale.AllowedTargets(settings.RatingStyle)} (e.g. TARGET_RATING=3).");
            }
        }

        if (Value(config, "OVERRIDE_RATING") is { } overrideValue)
        {
            if (ParseBool(overrideValue) is { } parsed)
            {
                settings = settings with { OverrideRating = parsed };
            }
            else
            {
                errors.Add($"OVERRIDE_RATING '{overrideValue}' is not true or false: use OVERRIDE_RATING=true or OVERRIDE_RATING=false.");
            }
        }

        if (Value(config, "PLEX_NOTIFICATIONS") is { } notifications)
        {
            if (ParseBool(notifications) is { } parsed)
            {
                settings = settings with { PlexNotifications = parsed };
            }
            else
            {
                errors.Add($"PLEX_NOTIFICATIONS '{notifications}' is not true or false: use PLEX_NOTIFICATIONS=true (listen to Plex for new music) or PLEX_NOTIFICATIONS=false.");
            }
        }

        if (Value(config, "WRITE_MODE") is { } writeMode)
        {
            if (WriteModes.Parse(writeMode) is { } parsedMode)
            {
                settings = settings with { WriteMode = parsedMode };
            }
            else
            {
                errors.Add($"WRITE_MODE '{writeMode}' is not a write mode: use {WriteModes.Allowed}.");
            }
        }

        settings = settings with
        {
            WriteBatchSize = Int(config, "WRITE_BATCH_SIZE", settings.WriteBatchSize, errors),
            BatchSize = Int(config, "BATCH_SIZE", settings.BatchSize, errors),
            BatchIntervalMinutes = Int(config, "BATCH_INTERVAL_MINUTES", settings.BatchIntervalMinutes, errors),
        };
        if (Value(config, "WRITE_CONCURRENCY") is { } concurrency)
        {
            if (ParseConcurrency(concurrency) is { } parsedConcurrency)
            {
                settings = settings with { WriteConcurrency = parsedConcurrency };
            }
            else
            {
                errors.Add($"WRITE_CONCURRENCY '{concurrency}' is not auto or a number from 1 to 32: use WRITE_CONCURRENCY=auto (adapts to how fast Plex answers; the default) or pin it, e.g. WRITE_CONCURRENCY=4.");
            }
        }
        if (Value(config, "WEBHOOK_SECRET") is { Length: < 8 })
        {
            errors.Add("WEBHOOK_SECRET is too short: use at least 8 characters (or leave it unset and StarSync generates one).");
        }

        if (Value(config, "API_KEY") is { Length: < 16 })
        {
            errors.Add("API_KEY is too short: use at least 16 characters (or leave it unset and StarSync generates one).");
        }

        return settings;
    }

    private static StarSyncSettings ApplyFile(StarSyncSettings settings, string file, List<string> errors, out string? webhookSecret, out string? apiKey,
        HashSet<string> setInFile)
    {
        webhookSecret = null;
        apiKey = null;
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file, StrictUtf8)) as JsonObject;
        }
        catch (DecoderFallbackException)
        {
            errors.Add($"{file} is not UTF-8 text: save it as UTF-8 (or delete it; StarSync then recreates it from the environment).");
            return settings;
        }
        catch (JsonException ex)
        {
            errors.Add($"{file} is not valid JSON ({ex.Message}). Fix or delete it; StarSync then recreates it from the environment.");
            return settings;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{file} cannot be read ({ex.Message}): make it readable by the user StarSync runs as (Docker: PUID/PGID), or delete it.");
            return settings;
        }

        if (root is null)
        {
            errors.Add($"{file} must hold a JSON object. Fix or delete it.");
            return settings;
        }

        string Where(string key) => $"'{key}' in {file}";
        foreach (var field in SettingFields.All.Where(f => f.FileKey is { } key && root[key] is { } node && node.GetValueKind() != JsonValueKind.Null))
        {
            setInFile.Add(field.Key);
        }

        try
        {
            if (root["libraries"] is { } libs)
            {
                settings = settings with
                {
                    Libraries = libs is JsonArray array
                        ? array.Select(n => n?.GetValue<string>().Trim() ?? "").Where(s => s.Length > 0).ToArray()
                        : SplitList(libs.GetValue<string>()),
                };
            }

            if (root["rating_style"] is { } styleNode && styleNode.GetValueKind() != JsonValueKind.Null)
            {
                var style = styleNode.GetValue<string>();
                if (RatingScale.ParseStyle(style) is { } parsed)
                {
                    settings = settings with { RatingStyle = parsed };
                }
                else
                {
                    errors.Add($"{Where("rating_style")} is '{style}': use one of {RatingScale.AllowedStyles}.");
                }
            }

            settings = settings with
            {
                TargetRating = Number(root, "rating_value", settings.TargetRating, errors, Where),
                OverrideRating = root["override_rating"] is { } o && o.GetValueKind() != JsonValueKind.Null
                    ? o.GetValueKind() switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.String => ParseBool(o.GetValue<string>()) ?? throw new FormatException($"override_rating '{o.GetValue<string>()}' is not true or false"),
                        _ => o.GetValue<double>() != 0,
                    }
                    : settings.OverrideRating,
                PlexNotifications = root["plex_notifications"] is { } n && n.GetValueKind() != JsonValueKind.Null
                    ? n.GetValueKind() switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.String => ParseBool(n.GetValue<string>()) ?? throw new FormatException($"plex_notifications '{n.GetValue<string>()}' is not true or false"),
                        _ => throw new FormatException("plex_notifications must be true or false"),
                    }
                    : settings.PlexNotifications,
                BatchIntervalMinutes = (int)Number(root, "batch_interval_minutes", settings.BatchIntervalMinutes, errors, Where),
                BatchSize = (int)Number(root, "batch_size", settings.BatchSize, errors, Where),
                WriteConcurrency = root["write_concurrency"] is { } wc && wc.GetValueKind() == JsonValueKind.String
                    ? ParseConcurrency(wc.GetValue<string>()) ?? throw new FormatException($"write_concurrency '{wc.GetValue<string>()}' is not auto or a number from 1 to 32")
                    : (int)Number(root, "write_concurrency", settings.WriteConcurrency, errors, Where),
                WriteBatchSize = (int)Number(root, "write_batch_size", settings.WriteBatchSize, errors, Where),
                WriteMode = root["write_mode"]?.GetValue<string>() is { } mode
                    ? WriteModes.Parse(mode) ?? throw new FormatException($"write_mode '{mode}' is not one of {WriteModes.Allowed}")
                    : settings.WriteMode,
            };
            settings = settings with
            {
                PlexUrl = root["plex_url"]?.GetValue<string>()?.Trim() ?? settings.PlexUrl,
                PlexToken = root["plex_token"]?.GetValue<string>()?.Trim() ?? settings.PlexToken,
            };
            webhookSecret = root["webhook_secret"]?.GetValue<string>() is { Length: > 0 } secret ? secret : null;
            apiKey = root["api_key"]?.GetValue<string>() is { Length: > 0 } key ? key : null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            errors.Add($"{file} has a value of the wrong type ({ex.Message}). Fix or delete it.");
        }

        // Format version and rating rules (issue 13); a file without them is the old tool's: default rule set.
        return Rules.RulesSettingsFile.Read(root, settings, file, errors);
    }

    /// <summary>Writes settings in the old tool's format (its keys, plus StarSync's new ones), atomically: temp file, then rename.</summary>
    public static async Task SaveAsync(StarSyncSettings settings, string file, CancellationToken cancellationToken)
    {
        var json = new JsonObject
        {
            ["libraries"] = new JsonArray(settings.Libraries.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
            ["rating_style"] = settings.RatingStyle.ToName(),
            ["rating_value"] = settings.TargetRating,
            ["override_rating"] = settings.OverrideRating,
            ["batch_interval_minutes"] = settings.BatchIntervalMinutes,
            ["batch_size"] = settings.BatchSize,
            ["write_concurrency"] = settings.WriteConcurrency == StarSyncSettings.AutoWriteConcurrency ? "auto" : settings.WriteConcurrency,
            ["plex_notifications"] = settings.PlexNotifications,
            ["write_mode"] = settings.WriteMode.ToName(),
            ["write_batch_size"] = settings.WriteBatchSize,
            ["webhook_secret"] = settings.WebhookSecret,
            ["api_key"] = settings.ApiKey,
        };
        // The Plex connection as entered in Settings (PLEX_URL/PLEX_TOKEN in the environment win over it); this file is owner-only.
        if (settings.PlexUrl.Length > 0)
        {
            json["plex_url"] = settings.PlexUrl;
        }

        if (settings.PlexToken.Length > 0)
        {
            json["plex_token"] = settings.PlexToken;
        }

        Rules.RulesSettingsFile.Write(json, settings);
        PrivateFiles.CreateDirectory(Path.GetDirectoryName(file)!);
        Rules.RulesSettingsFile.BackUpOldFormat(file);
        var temp = file + ".tmp";
        // It holds the API key and the webhook secret: owner-only from creation, so not even the temporary file is
        // readable by others for a moment.
        await using (var stream = PrivateFiles.CreateNew(temp))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }

        File.Move(temp, file, overwrite: true);
    }

    /// <summary>WRITE_CONCURRENCY's spellings: "auto" adapts (stored as 0), 1..32 pins; null for anything else.</summary>
    internal static int? ParseConcurrency(string? text)
    {
        var value = text?.Trim();
        if (string.Equals(value, "auto", StringComparison.OrdinalIgnoreCase))
        {
            return StarSyncSettings.AutoWriteConcurrency;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 32 ? n : null;
    }

    // Invalid bytes are an error, not U+FFFD: a secret or a library name must not change silently.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static double Number(JsonObject root, string key, double fallback, List<string> errors, Func<string, string> where)
    {
        var node = root[key];
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return fallback;
        }

        if (node.GetValueKind() == JsonValueKind.Number)
        {
            return node.GetValue<double>();
        }

        if (node.GetValueKind() == JsonValueKind.String &&
            double.TryParse(node.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        errors.Add($"{where(key)} is not a number.");
        return fallback;
    }

    private static int Int(IConfiguration config, string name, int fallback, List<string> errors)
    {
        if (Value(config, name) is not { } text)
        {
            return fallback;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add($"{name} '{text}' is not a whole number (e.g. {name}={fallback}).");
        return fallback;
    }

    private static string? Value(IConfiguration config, string name) =>
        config[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static string[] SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <summary>Accepts what the old tool accepted (true/1/yes) and their opposites; anything else is an error, not false.</summary>
    public static bool? ParseBool(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => null,
    };
}
