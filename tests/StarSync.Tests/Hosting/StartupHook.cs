using System.Diagnostics.CodeAnalysis;

/// <summary>
/// A .NET startup hook (DOTNET_STARTUP_HOOKS=path of this test assembly) for StarSync run as a child process: when
/// STARSYNC_TEST_ASSEMBLY_LIST names a file, the names of every assembly the process loaded are written to it at exit,
/// so a test can check what a CLI verb pulled in. The runtime requires this name, in no namespace.
/// </summary>
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "The runtime looks for StartupHook in the global namespace.")]
public static class StartupHook
{
    /// <summary>The variable naming the file the list goes to.</summary>
    public const string ListVariable = "STARSYNC_TEST_ASSEMBLY_LIST";

    /// <summary>Called by the runtime before the app's Main.</summary>
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable(ListVariable);
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            File.WriteAllLines(path, AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").Order(StringComparer.Ordinal));
    }
}
