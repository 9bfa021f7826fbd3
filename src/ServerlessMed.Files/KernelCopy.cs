using System.Runtime.InteropServices;

namespace ServerlessMed.Files;

/// <summary>File-to-file copies inside the kernel (Linux copy_file_range), as cp does: pixel data passed through
/// unchanged never enters user space. Falls back (returns the bytes not copied) wherever the call is unavailable.</summary>
public static partial class KernelCopy
{
    /// <summary>Copies up to <paramref name="length"/> bytes from the open file <paramref name="source"/> at
    /// <paramref name="sourceOffset"/> to the current position of <paramref name="destination"/>, advancing it. Returns
    /// the bytes copied (0 when not supported).</summary>
    public static long TryCopy(Microsoft.Win32.SafeHandles.SafeFileHandle source, long sourceOffset, FileStream destination, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
        {
            return 0;
        }

        destination.Flush();
        var inFd = (int)source.DangerousGetHandle();
        var outFd = (int)destination.SafeFileHandle.DangerousGetHandle();
        // Explicit offsets on both sides: .NET's FileStream keeps its own position (it writes with pwrite).
        var inOffset = sourceOffset;
        var outOffset = destination.Position;
        long copied = 0;
        try
        {
            while (copied < length)
            {
                var n = CopyFileRange(inFd, ref inOffset, outFd, ref outOffset, (nuint)Math.Min(length - copied, 1L << 30), 0);
                if (n <= 0)
                {
                    break; // 0: source ended; -1: not supported here (EXDEV, ENOSYS, EINVAL) — the caller copies the rest
                }

                copied += n;
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }

        destination.Position += copied;
        return copied;
    }

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(int fdIn, ref long offIn, int fdOut, ref long offOut, nuint length, uint flags);
}
