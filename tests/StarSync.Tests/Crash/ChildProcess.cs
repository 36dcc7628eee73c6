using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using StarSync.Tests.Hosting;

namespace StarSync.Tests.Crash;

/// <summary>The built StarSync app run as a real child process (<c>dotnet StarSync.dll …</c>), so it can be killed.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The StarSync.dll built beside this test assembly's configuration (src/StarSync/bin/&lt;config&gt;/net10.0).</summary>
    public static string AppDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // tests/StarSync.Tests/bin/<config>/net10.0/
        var configuration = testBin.Parent!.Name;
        var framework = testBin.Name;
        var dll = Path.Combine(TestHost.RepositoryRoot(),
            "src", "StarSync", "bin", configuration, framework, "StarSync.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the solution first (dotnet build StarSync.slnx).", dll);
    }

    public static ChildProcess Start(IReadOnlyDictionary<string, string> environment, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(AppDll());
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when the power goes or the OOM killer strikes.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(); // dotnet StarSync.dll is one process: no tree to walk while it keeps writing
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"StarSync did not exit within {timeout.TotalSeconds:0} s. Output:\n{Output}");
        }

        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
