using System.Reflection;
using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>8-bit JPEG baseline and extended (processes 1 and 2) through the system's libjpeg-turbo (Debian
/// libturbojpeg0), loaded at run time. Colour follows <see cref="JpegColorSpace"/>: YBR_FULL and YBR_FULL_422 frames
/// come back as YCbCr with libjpeg's own (fancy) upsampling and no conversion, because the stream is handed to it
/// with an Adobe "no transform" marker (its JFIF and Adobe markers renamed APP15, which libjpeg skips); RGB frames
/// get that marker only when no valid JFIF or complete Adobe marker says otherwise. 12-bit and lossless JPEG are not
/// in libturbojpeg 2.1's API: <see cref="JpegCodec"/> sends 12-bit streams to <see cref="JpegDctCodec"/>.</summary>
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

    public string? DecodedPhotometric(PixelDataInfo info) => JpegColorSpace.DecodedPhotometric(info);

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

        if (JpegColorSpace.KeepsComponents(info))
        {
            compressed = WithComponentsAsStored(compressed);
        }
        else if (info.SamplesPerPixel == 3 && info.Photometric == "RGB")
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
    /// components unless an Adobe marker says otherwise, so one saying "no transform" is added unless a valid JFIF or a
    /// complete Adobe marker speaks for the stream (a too-short APP14 does not: libjpeg ignores it). DCMTK's dcmdjpeg
    /// decodes such files the same way.</summary>
    internal static byte[] WithoutColorTransform(byte[] jpeg) =>
        jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 || JpegColorSpace.Read(jpeg).SayAnything ? jpeg : WithAdobeNoTransform(jpeg, []);

    /// <summary>The stream as libjpeg must see it to return its components as stored: the JFIF and Adobe markers that
    /// count renamed APP15 (skipped, lengths unchanged) and an Adobe "no transform" marker after SOI.</summary>
    internal static byte[] WithComponentsAsStored(byte[] jpeg) =>
        jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 ? jpeg : WithAdobeNoTransform(jpeg, JpegColorSpace.Read(jpeg).Offsets);

    private static byte[] WithAdobeNoTransform(byte[] jpeg, IReadOnlyList<int> renamed)
    {
        byte[] adobe = [0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];
        var result = new byte[jpeg.Length + adobe.Length];
        result[0] = 0xFF;
        result[1] = 0xD8;
        adobe.CopyTo(result, 2);
        jpeg.AsSpan(2).CopyTo(result.AsSpan(2 + adobe.Length));
        foreach (var offset in renamed)
        {
            result[offset + adobe.Length + 1] = 0xEF;
        }

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
