using System.Reflection;
using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>Maps the codecs' (and the OCR's) short library names to the Debian sonames (an assembly can have one resolver).</summary>
internal static class NativeResolver
{
    private static readonly Dictionary<string, string> Sonames = new(StringComparer.Ordinal)
    {
        ["turbojpeg"] = "libturbojpeg.so.0",
        ["charls"] = "libcharls.so.2",
        ["openjp2"] = "libopenjp2.so.7",
        ["tesseract"] = "libtesseract.so.5",
        ["lept"] = "liblept.so.5",
        ["libc"] = "libc.so.6",
    };

    private static int _registered;

    public static void Register(Assembly assembly)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(assembly, Resolve);
        }
    }

    public static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        Sonames.TryGetValue(name, out var soname) && NativeLibrary.TryLoad(soname, out var h) ? h : IntPtr.Zero;
}
