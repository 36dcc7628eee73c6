using System.Diagnostics;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Shipping;

/// <summary>
/// The production image is built the way the Dockerfile does it: only the app's own project is copied and published,
/// with <c>-p:IncludeDemo=false</c>. These tests repeat those steps in a temporary folder (never in the source tree, so
/// the build the other tests use is left alone) and check what comes out.
/// </summary>
[Trait("Category", "Build")]
[Trait("Category", "Integration")]
public sealed class ProductionBuildTests
{
    [Fact]
    public async Task Production_publish_leaves_the_emulator_out_and_refuses_demo_with_the_way_to_run_it()
    {
        var root = TestHost.RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("starsync-publish-").FullName;
        try
        {
            // The files the Dockerfile copies, and nothing else.
            foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", "BannedSymbols.txt", ".editorconfig" })
            {
                File.Copy(Path.Combine(root, file), Path.Combine(work, file));
            }

            CopyProject(Path.Combine(root, "src", "StarSync"), Path.Combine(work, "src", "StarSync"));
            var output = Path.Combine(work, "out");

            var publish = await RunAsync("dotnet", ["publish", "src/StarSync/StarSync.csproj", "-c", "Release", "-o", output, "-p:IncludeDemo=false", "-nologo", "-v", "q"], work);
            Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.Output);

            Assert.True(File.Exists(Path.Combine(output, "StarSync.dll")), "StarSync.dll was not published");
            var emulatorFiles = Directory.EnumerateFiles(output, "*PlexEmulator*", SearchOption.AllDirectories).ToArray();
            Assert.Empty(emulatorFiles);

            var demo = await RunAsync("dotnet", [Path.Combine(output, "StarSync.dll"), "--demo"], work);
            Assert.Equal(2, demo.ExitCode);
            Assert.Contains("starsync: --demo: this build leaves the emulated Plex out", demo.Output, StringComparison.Ordinal);
            Assert.Contains("dotnet run --project src/StarSync -- --demo", demo.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file for a moment; the temp folder is cleaned eventually.
            }
        }
    }

    private static void CopyProject(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            var top = relative.Split(Path.DirectorySeparatorChar)[0];
            if (top is "bin" or "obj")
            {
                continue; // as .dockerignore: build outputs of the source tree never reach the image
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The published app must not find a .env, config or Plex of the developer's: it only has to start and refuse --demo.
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
