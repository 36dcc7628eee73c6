using System.Globalization;

namespace StarSync.PlexEmulator;

/// <summary>Parses the standalone program's arguments into <see cref="EmulatorOptions"/>.</summary>
public static class EmulatorCommandLine
{
    public const string Usage =
        "usage: StarSync.PlexEmulator [--tracks N] [--libraries N] [--rated-share 0.1] [--port N] [--host IP] [--token T] "
        + "[--seed N] [--latency-ms N] [--write-latency-ms N] [--write-item-latency-ms F] [--serialize-writes] [--max-page-size N] [--max-url-length N] [--new-album-every SECONDS]";

    public static bool TryParse(IReadOnlyList<string> args, out EmulatorOptions options, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = new EmulatorOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--serialize-writes")
            {
                options.Latency.SerializeWrites = true;
                continue;
            }

            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            var inv = CultureInfo.InvariantCulture;
            var ok = true;
            switch (name)
            {
                case "--tracks": ok = int.TryParse(value, inv, out var tracks) && tracks >= 0; options.Tracks = tracks; break;
                case "--libraries": ok = int.TryParse(value, inv, out var libs) && libs >= 1; options.MusicLibraries = libs; break;
                case "--rated-share": ok = double.TryParse(value, inv, out var share) && share is >= 0 and <= 1; options.HandRatedShare = share; break;
                case "--port": ok = int.TryParse(value, inv, out var port) && port is >= 0 and <= 65535; options.Port = port; break;
                case "--host": options.Host = value; break;
                case "--token": options.Token = value; break;
                case "--seed": ok = int.TryParse(value, inv, out var seed); options.Seed = seed; break;
                case "--latency-ms": ok = int.TryParse(value, inv, out var ms) && ms >= 0; options.Latency.PerRequest = TimeSpan.FromMilliseconds(ms); break;
                case "--write-latency-ms": ok = int.TryParse(value, inv, out var wms) && wms >= 0; options.Latency.PerRatingWrite = TimeSpan.FromMilliseconds(wms); break;
                case "--new-album-every": ok = int.TryParse(value, inv, out var every) && every >= 0; options.NewAlbumEvery = TimeSpan.FromSeconds(every); break;
                case "--write-item-latency-ms": ok = double.TryParse(value, inv, out var ims) && ims >= 0; options.Latency.PerRatedItem = TimeSpan.FromMilliseconds(ims); break;
                case "--max-url-length": ok = int.TryParse(value, inv, out var url) && url >= 0; options.MaxUrlLength = url; break;
                case "--max-page-size": ok = int.TryParse(value, inv, out var max) && max >= 0; options.MaxPageSize = max; break;
                default:
                    error = $"Unknown option {name}.";
                    return false;
            }

            if (!ok)
            {
                error = $"Bad value '{value}' for {name}.";
                return false;
            }
        }

        return true;
    }
}
