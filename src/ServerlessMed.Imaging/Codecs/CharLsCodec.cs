using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>JPEG-LS lossless and near-lossless (ISO 14495-1) through the system's CharLS (Debian libcharls2),
/// loaded at run time. Samples of more than 8 bits come back as 16-bit little-endian; a frame coded without
/// interleave (component by component) is interleaved on return, as every codec here returns pixels.</summary>
public sealed partial class CharLsCodec : IFrameCodec
{
    private const string Library = "charls";
    private const int InterleaveNone = 0;

    private static readonly Lazy<bool> Available = new(() =>
    {
        NativeResolver.Register(typeof(CharLsCodec).Assembly);
        return NativeLibrary.TryLoad("libcharls.so.2", out _);
    });

    public static bool IsAvailable => Available.Value;

    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed)
    {
        if (!IsAvailable)
        {
            throw new PixelDataException("codec-missing", "JPEG-LS decoding needs CharLS: install the Debian package libcharls2");
        }

        var decoder = DecoderCreate();
        if (decoder == IntPtr.Zero)
        {
            throw new PixelDataException("codec-error", "CharLS could not create a decoder");
        }

        try
        {
            var handle = GCHandle.Alloc(compressed, GCHandleType.Pinned);
            try
            {
                Check(SetSourceBuffer(decoder, handle.AddrOfPinnedObject(), (nuint)compressed.Length), "JPEG-LS source");
                Check(ReadHeader(decoder), "JPEG-LS header");
                Check(GetFrameInfo(decoder, out var frame), "JPEG-LS frame info");
                if (frame.Width != info.Columns || frame.Height != info.Rows || frame.ComponentCount != info.SamplesPerPixel)
                {
                    throw new PixelDataException("bad-jpeg-ls", $"JPEG-LS frame is {frame.Width}x{frame.Height}x{frame.ComponentCount}, the dataset says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}");
                }

                Check(GetInterleaveMode(decoder, out var interleave), "JPEG-LS interleave mode");
                Check(GetDestinationSize(decoder, 0, out var size), "JPEG-LS destination size");
                var output = new byte[(int)size];
                Check(DecodeToBuffer(decoder, output, (nuint)output.Length, 0), "JPEG-LS data");
                return interleave == InterleaveNone && frame.ComponentCount > 1
                    ? Interleave(output, frame.ComponentCount, (int)(frame.Width * frame.Height), frame.BitsPerSample > 8 ? 2 : 1)
                    : output;
            }
            finally
            {
                handle.Free();
            }
        }
        finally
        {
            DecoderDestroy(decoder);
        }
    }

    /// <summary>Planar (all of component 0, then 1, ...) to interleaved samples.</summary>
    public static byte[] Interleave(byte[] planar, int components, int pixels, int bytesPerSample)
    {
        var result = new byte[planar.Length];
        for (var c = 0; c < components; c++)
        {
            for (var p = 0; p < pixels; p++)
            {
                for (var b = 0; b < bytesPerSample; b++)
                {
                    result[(((p * components) + c) * bytesPerSample) + b] = planar[(((c * pixels) + p) * bytesPerSample) + b];
                }
            }
        }

        return result;
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new PixelDataException("bad-jpeg-ls", $"{what}: {Marshal.PtrToStringAnsi(GetErrorMessage(error)) ?? "error " + error}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FrameInfo
    {
        public uint Width;
        public uint Height;
        public int BitsPerSample;
        public int ComponentCount;
    }

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_create")]
    private static partial IntPtr DecoderCreate();

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_destroy")]
    private static partial void DecoderDestroy(IntPtr decoder);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_set_source_buffer")]
    private static partial int SetSourceBuffer(IntPtr decoder, IntPtr source, nuint size);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_read_header")]
    private static partial int ReadHeader(IntPtr decoder);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_get_frame_info")]
    private static partial int GetFrameInfo(IntPtr decoder, out FrameInfo frame);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_get_interleave_mode")]
    private static partial int GetInterleaveMode(IntPtr decoder, out int mode);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_get_destination_size")]
    private static partial int GetDestinationSize(IntPtr decoder, uint stride, out nuint size);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_decode_to_buffer")]
    private static partial int DecodeToBuffer(IntPtr decoder, byte[] destination, nuint size, uint stride);

    [LibraryImport(Library, EntryPoint = "charls_get_error_message")]
    private static partial IntPtr GetErrorMessage(int error);
}
