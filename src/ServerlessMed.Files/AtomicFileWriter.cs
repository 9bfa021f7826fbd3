using System.Runtime.InteropServices;

namespace ServerlessMed.Files;

/// <summary>Writes whole files: the content goes to a temporary name next to the target, which then takes the
/// target's name in one step, so a reader never sees half a file and a crash leaves the old file or none.</summary>
/// <remarks>
/// Replacing a file by renaming over it frees the old file's inode at once. Rewriting a folder of outputs (a re-run,
/// or copies of one instance that de-identify to the same name) then frees an inode per file while creating the next
/// temporaries, and on ext4 without a journal every new inode scans past those freed in the last 30 s
/// (<c>recently_deleted</c> in <c>find_inode_bit</c>): creating files became a third of <c>smed deid</c>'s time. On
/// Linux this writer therefore swaps the new file with the old one (<c>renameat2(RENAME_EXCHANGE)</c>, as atomic as a
/// rename), which leaves the old file under the temporary name, and deletes those displaced files together later
/// (every <see cref="MaxDeferredDeletes"/> files, and on <see cref="Dispose"/>). The old inode is never written
/// again, so a reader that opened the old file keeps reading the old content, as with a rename. Where the target does
/// not exist yet, or the file system cannot swap, it renames. One writer per thread (it is not thread-safe).
/// </remarks>
public sealed partial class AtomicFileWriter : IDisposable
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2;
    private const int ENOENT = 2;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;
    private static long _counter;
    private static bool _exchangeUnsupported = !OperatingSystem.IsLinux();

    private readonly List<string> _displaced = [];

    /// <summary>Displaced old files kept before they are deleted together (each holds its disk space until then).</summary>
    public int MaxDeferredDeletes { get; init; } = 1024;

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, which gets an unbuffered, empty
    /// <see cref="FileStream"/> (so callers can copy file to file in the kernel).</summary>
    public void Write(string path, Action<FileStream> write) => Write(path, write, static publish =>
    {
        publish();
        return true;
    });

    /// <summary>As <see cref="Write(string, Action{FileStream})"/>, with the last step in the caller's hands:
    /// <paramref name="commit"/> gets the action that gives the new file its name, and either runs it and returns true
    /// or returns false (the new file is then deleted). A caller that runs it under its own lock can order concurrent
    /// replacements of one name.</summary>
    public bool Write(string path, Action<FileStream> write, Func<Action, bool> commit)
    {
        // Unique across threads (counter) and processes (pid) without asking the kernel for randomness per file.
        var tmp = $"{path}.tmp-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        var published = false;
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0))
            {
                write(fs);
            }

            if (commit(() =>
            {
                Publish(tmp, path);
                published = true;
            }))
            {
                return true;
            }

            TryDelete(tmp);
            return false;
        }
        catch
        {
            if (!published)
            {
                TryDelete(tmp);
            }

            throw;
        }
    }

    /// <summary>Gives <paramref name="tmp"/> the name <paramref name="path"/>.</summary>
    private void Publish(string tmp, string path)
    {
        if (!Volatile.Read(ref _exchangeUnsupported))
        {
            if (RenameAt2(AtFdCwd, tmp, AtFdCwd, path, RenameExchange) == 0)
            {
                _displaced.Add(tmp); // tmp now names the old file
                if (_displaced.Count >= MaxDeferredDeletes)
                {
                    DeleteDisplaced();
                }

                return;
            }

            if (Marshal.GetLastPInvokeError() is EINVAL or ENOSYS or EOPNOTSUPP)
            {
                // This file system or kernel cannot swap: rename from now on. (ENOENT: nothing to replace yet; other
                // errors, such as a permission, are the rename's to report.)
                Volatile.Write(ref _exchangeUnsupported, true);
            }
        }

        File.Move(tmp, path, overwrite: true);
    }

    private void DeleteDisplaced()
    {
        foreach (var path in _displaced)
        {
            TryDelete(path);
        }

        _displaced.Clear();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a failure being reported, or a displaced old file someone removed: nothing more to do
        }
    }

    public void Dispose() => DeleteDisplaced();

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);
}
