using System.Runtime.InteropServices;

namespace StarSync.Configuration;

/// <summary>
/// Checks, without writing anything, that CONFIG_DIR and LOGS_DIR are folders StarSync can create and write, so a
/// bad volume or a wrong owner is reported with the other configuration problems, naming the path and the fix.
/// </summary>
internal static partial class StorageCheck
{
    /// <summary>One message per unusable folder.</summary>
    public static IEnumerable<string> Problems(StarSyncPaths paths)
    {
        if (Problem("CONFIG_DIR", paths.ConfigDirectory) is { } config)
        {
            yield return config;
        }

        if (Problem("LOGS_DIR", paths.LogsDirectory) is { } logs)
        {
            yield return logs;
        }
    }

    private static string? Problem(string variable, string path)
    {
        if (File.Exists(path))
        {
            return $"{variable} {path} is a file, not a folder: set {variable} to a folder (or remove the file).";
        }

        // A missing folder is created at start: its nearest existing parent must be writable then.
        var existing = path;
        while (!Directory.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null)
            {
                return null;
            }

            if (File.Exists(parent))
            {
                return $"{variable} {path} cannot be created: {parent} is a file. Set {variable} to a folder StarSync can write.";
            }

            existing = parent;
        }

        if (OperatingSystem.IsWindows() || Writable(existing))
        {
            return null;
        }

        return existing == path
            ? $"{variable} {path} is not writable by this user ({Environment.UserName}): make it writable (Docker: chown the host folder to PUID:PGID; check that the volume is not mounted read-only), or set {variable} to a writable folder."
            : $"{variable} {path} cannot be created: {existing} is not writable by this user ({Environment.UserName}). Create {path} and make it writable (Docker: PUID:PGID), or set {variable} to a writable folder.";
    }

    // access(2) asks the kernel the question the first write would ask (permissions, read-only mounts, immutable
    // folders, root included), without writing anything.
    private static bool Writable(string directory) => NativeMethods.access(directory, WriteOk | ExecuteOk) == 0;

    private const int WriteOk = 2;
    private const int ExecuteOk = 1;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "access", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
    }
}
