using System.Reflection;
using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>8-bit JPEG baseline and extended (processes 1 and 2) through the system's libjpeg-turbo (Debian
/// libturbojpeg0), loaded at run time. Colour JPEGs come back as RGB (libjpeg converts YCbCr, and honours the
/// Adobe "no transform" marker), as DCMTK's dcmdjpeg and pydicom do. 12-bit and lossless JPEG are not in
/// libturbojpeg 2.1's API: <see cref="JpegCodec"/> sends 12-bit streams to <see cref="JpegDctCodec"/>.</summary>
public sealed partial class TurboJpegCodec : IFrameCodec
{
    private const string Library = "turbojpeg";
    private const int PixelFormatRgb = 0;
    private const int PixelFormatGray = 6;
    private const int FlagAccurateDct = 4096;

    private static readonly Lazy<bool> Available = new(() =>
    {
        NativeResolver.Register(typeof(TurboJpegCodec).Assembly);
        return NativeLibrary.TryLoad("libturbojpeg.so.0", out _);
    });

    /// <summary>True when libturbojpeg can be loaded.</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>After decoding, colour frames are RGB whatever the dataset's YBR photometric said.</summary>
    public string? DecodedPhotometric(PixelDataInfo info) => info.SamplesPerPixel == 3 ? "RGB" : null;

    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed)
    {
        if (!IsAvailable)
        {
            throw new PixelDataException("codec-missing", "JPEG decoding needs libturbojpeg: install the Debian package libturbojpeg0");
        }

        if (info.BitsAllocated != 8)
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"{info.BitsStored}-bit JPEG is not supported by libturbojpeg (8-bit only)");
        }

        if (info.SamplesPerPixel == 3 && info.Photometric == "RGB")
        {
            compressed = WithoutColorTransform(compressed);
        }

        var handle = TjInitDecompress();
        if (handle == IntPtr.Zero)
        {
            throw new PixelDataException("codec-error", "libturbojpeg could not create a decompressor");
        }

        try
        {
            if (TjDecompressHeader3(handle, compressed, (nuint)compressed.Length, out var width, out var height, out _, out _) != 0)
            {
                throw new PixelDataException("bad-jpeg", "JPEG header: " + Error(handle));
            }

            if (width != info.Columns || height != info.Rows)
            {
                throw new PixelDataException("bad-jpeg", $"JPEG is {width}x{height}, the dataset says {info.Columns}x{info.Rows}");
            }

            var channels = info.SamplesPerPixel;
            var output = new byte[width * height * channels];
            if (TjDecompress2(handle, compressed, (nuint)compressed.Length, output, width, width * channels, height, channels == 3 ? PixelFormatRgb : PixelFormatGray, FlagAccurateDct) != 0)
            {
                throw new PixelDataException("bad-jpeg", "JPEG data: " + Error(handle));
            }

            return output;
        }
        finally
        {
            _ = TjDestroy(handle);
        }
    }

    /// <summary>Photometric RGB means the JPEG's components are R, G, B (PS3.5 8.2.1). libjpeg assumes YCbCr for three
    /// components unless an Adobe marker says otherwise, so one saying "no transform" is added when there is none
    /// (DCMTK's dcmdjpeg decodes such files the same way).</summary>
    internal static byte[] WithoutColorTransform(byte[] jpeg)
    {
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return jpeg;
        }

        // Look through the header markers up to the first frame/scan marker for APP0 (JFIF) or APP14 (Adobe).
        var i = 2;
        while (i + 4 <= jpeg.Length && jpeg[i] == 0xFF)
        {
            var marker = jpeg[i + 1];
            if (marker is 0xE0 or 0xEE)
            {
                return jpeg; // the stream says itself what its colour space is
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC || marker == 0xDA)
            {
                break;
            }

            i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
        }

        byte[] adobe = [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];
        var result = new byte[jpeg.Length + adobe.Length];
        result[0] = 0xFF;
        result[1] = 0xD8;
        adobe.CopyTo(result, 2);
        jpeg.AsSpan(2).CopyTo(result.AsSpan(2 + adobe.Length));
        return result;
    }

    private static string Error(IntPtr handle) => Marshal.PtrToStringAnsi(TjGetErrorStr2(handle)) ?? "unknown error";

    [LibraryImport(Library, EntryPoint = "tjInitDecompress")]
    private static partial IntPtr TjInitDecompress();

    [LibraryImport(Library, EntryPoint = "tjDecompressHeader3")]
    private static partial int TjDecompressHeader3(IntPtr handle, byte[] jpeg, nuint size, out int width, out int height, out int subsampling, out int colorspace);

    [LibraryImport(Library, EntryPoint = "tjDecompress2")]
    private static partial int TjDecompress2(IntPtr handle, byte[] jpeg, nuint size, byte[] destination, int width, int pitch, int height, int pixelFormat, int flags);

    [LibraryImport(Library, EntryPoint = "tjDestroy")]
    private static partial int TjDestroy(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "tjGetErrorStr2")]
    private static partial IntPtr TjGetErrorStr2(IntPtr handle);
}
