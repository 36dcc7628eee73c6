using System.Runtime.InteropServices;

namespace StarSync.PlexEmulator;

/// <summary>
/// Standalone emulated Plex Media Server: prints its URL and token, serves until Ctrl+C or SIGTERM. Declared in the
/// emulator's namespace (not as top-level statements) so it does not clash with the app's global Program type.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (!EmulatorCommandLine.TryParse(args, out var options, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(EmulatorCommandLine.Usage);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        // Ctrl+C and `docker stop`/kill both end the run cleanly.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        await using var server = await PlexEmulatorServer.StartAsync(options, stop.Token);
        Console.WriteLine($"Emulated Plex Media Server listening on {server.BaseUri}");
        Console.WriteLine($"Token: {server.Token}");
        Console.WriteLine($"Sections: {string.Join(", ", server.Library.Sections.Select(s => $"{s.Key}={s.Title} ({s.TrackCount} tracks)"))}");
        try
        {
            if (options.NewAlbumEvery > TimeSpan.Zero)
            {
                // New music for clients of /:/websockets/notifications (python-plexapi's AlertListener, StarSync).
                using var timer = new PeriodicTimer(options.NewAlbumEvery);
                var music = server.Library.Sections.First(s => s.IsMusic);
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    var album = server.Library.AddAlbum(music.Key, 5);
                    Console.WriteLine($"Added album {album.AlbumRatingKey} '{album.AlbumTitle}' ({album.TrackRatingKeys.Count} tracks) to {music.Title}");
                }
            }

            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: a normal end.
        }

        return 0;
    }
}
