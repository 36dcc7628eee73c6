namespace StarSync.Configuration;

/// <summary>
/// Reads a .env file (KEY=VALUE lines, # comments, optional quotes, optional "export ") the way python-dotenv did
/// for the old tool. Added below the environment variables, so a real environment variable wins, as with load_dotenv().
/// </summary>
public sealed class DotEnvConfigurationSource(string path) : IConfigurationSource
{
    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new DotEnvConfigurationProvider(path);

    private sealed class DotEnvConfigurationProvider(string path) : ConfigurationProvider
    {
        public override void Load() => Data = File.Exists(path)
            ? Parse(File.ReadLines(path))
            : new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Parses .env lines; malformed lines are ignored as python-dotenv does.</summary>
    public static Dictionary<string, string?> Parse(IEnumerable<string> lines)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }
            else
            {
                // An unquoted value ends at " #" (an inline comment).
                var hash = value.IndexOf(" #", StringComparison.Ordinal);
                if (hash >= 0)
                {
                    value = value[..hash].TrimEnd();
                }
            }

            data[key] = value;
        }

        return data;
    }
}
