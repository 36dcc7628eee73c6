// Standalone emulated Plex Media Server: prints its URL and token, serves until Ctrl+C.
using StarSync.PlexEmulator;

if (!EmulatorCommandLine.TryParse(args, out var options, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(EmulatorCommandLine.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
// Ctrl+C and `docker stop`/kill both end the run cleanly.
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);

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

void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
