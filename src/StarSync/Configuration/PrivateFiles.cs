using System.Runtime.InteropServices;

namespace StarSync.Configuration;

/// <summary>
/// Everything StarSync keeps (settings with secrets, the journal, sessions, keys, logs) is its owner's business only:
/// files are created 0600 and folders 0700 from their first moment, never widened and narrowed afterwards.
/// </summary>
internal static partial class PrivateFiles
{
    /// <summary>rw- --- ---</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx --- ---</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static int _restricted;

    /// <summary>
    /// Sets the process umask to 077, so files that libraries create on their own (SQLite's -wal and -shm, the rolling
    /// log, Data Protection's key files) are owner-only when they are born. Process state only: nothing is written.
    /// </summary>
    public static void RestrictNewFiles()
    {
        if (OperatingSystem.IsWindows() || Interlocked.Exchange(ref _restricted, 1) == 1)
        {
            return;
        }

        _ = NativeMethods.umask(0b000_111_111);
    }

    /// <summary>Creates <paramref name="path"/> (and its parents) as 0700 when missing; an existing folder is left as it is.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, DirectoryMode);
        }
    }

    /// <summary>Creates <paramref name="path"/> empty as 0600 if it does not exist (before SQLite opens it, so its -wal/-shm inherit the mode).</summary>
    public static void EnsureFile(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        try
        {
            using var _ = new FileStream(path, Options(System.IO.FileMode.CreateNew));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process made it first; that is fine.
        }
    }

    /// <summary>Opens a new file for writing, 0600 from creation; a stale file of that name is replaced.</summary>
    public static FileStream CreateNew(string path)
    {
        File.Delete(path);
        return new FileStream(path, Options(System.IO.FileMode.CreateNew));
    }

    private static FileStreamOptions Options(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "umask")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101", Justification = "No strings.")]
        public static extern uint umask(uint mask);
    }
}
