// Standalone emulated Plex Media Server: prints its URL and token, serves until Ctrl+C.
using StarSync.PlexEmulator;

if (!EmulatorCommandLine.TryParse(args, out var options, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(EmulatorCommandLine.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var server = await PlexEmulatorServer.StartAsync(options, stop.Token);
Console.WriteLine($"Emulated Plex Media Server listening on {server.BaseUri}");
Console.WriteLine($"Token: {server.Token}");
Console.WriteLine($"Sections: {string.Join(", ", server.Library.Sections.Select(s => $"{s.Key}={s.Title} ({s.TrackCount} tracks)"))}");
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

return 0;
