using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>JPEG-LS lossless and near-lossless (ISO 14495-1) through the system's CharLS (Debian libcharls2),
/// loaded at run time. Samples of more than 8 bits come back as 16-bit little-endian; a frame coded without
/// interleave (component by component) is interleaved on return, as every codec here returns pixels. Encodes
/// lossless (NEAR = 0) at Bits Stored precision, colour sample-interleaved without a colour transform (DICOM allows
/// none); signed samples are coded as their Bits Stored bit pattern, as PS3.5 8.2.3 says.</summary>
public sealed partial class CharLsCodec : IFrameCodec, IFrameEncoder
{
    private const string Library = "charls";
    private const int InterleaveNone = 0;
    private const int InterleaveSample = 2;

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

    public byte[] EncodeFrame(byte[] samples, PixelDataInfo layout)
    {
        if (!IsAvailable)
        {
            throw new PixelDataException("codec-missing", "JPEG-LS encoding needs CharLS: install the Debian package libcharls2");
        }

        var bits = layout.BitsStored;
        if (layout.BitsAllocated is not (8 or 16) || bits is < 2 or > 16)
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"JPEG-LS codes 2 to 16 bits per sample; this frame has {bits} of {layout.BitsAllocated}");
        }

        // CharLS reads one byte per sample up to 8 bits, two above; the values must fit Bits Stored (no sign).
        var count = layout.Rows * layout.Columns * layout.SamplesPerPixel;
        var source = new byte[count * (bits > 8 ? 2 : 1)];
        var mask = (1 << bits) - 1;
        for (var i = 0; i < count; i++)
        {
            var v = (layout.BitsAllocated == 8 ? samples[i] : samples[2 * i] | (samples[(2 * i) + 1] << 8)) & mask;
            if (bits > 8)
            {
                source[2 * i] = (byte)v;
                source[(2 * i) + 1] = (byte)(v >> 8);
            }
            else
            {
                source[i] = (byte)v;
            }
        }

        var encoder = EncoderCreate();
        if (encoder == IntPtr.Zero)
        {
            throw new PixelDataException("codec-error", "CharLS could not create an encoder");
        }

        try
        {
            var frame = new FrameInfo { Width = (uint)layout.Columns, Height = (uint)layout.Rows, BitsPerSample = bits, ComponentCount = layout.SamplesPerPixel };
            Check(EncoderSetFrameInfo(encoder, frame), "JPEG-LS frame info");
            Check(EncoderSetNearLossless(encoder, 0), "JPEG-LS near-lossless");
            Check(EncoderSetInterleaveMode(encoder, layout.SamplesPerPixel > 1 ? InterleaveSample : InterleaveNone), "JPEG-LS interleave mode");
            Check(EncoderGetEstimatedDestinationSize(encoder, out var estimate), "JPEG-LS destination size");
            var destination = new byte[(int)estimate];
            var handle = GCHandle.Alloc(destination, GCHandleType.Pinned);
            try
            {
                Check(EncoderSetDestinationBuffer(encoder, handle.AddrOfPinnedObject(), (nuint)destination.Length), "JPEG-LS destination");
                Check(EncoderEncodeFromBuffer(encoder, source, (nuint)source.Length, 0), "JPEG-LS encoding");
                Check(EncoderGetBytesWritten(encoder, out var written), "JPEG-LS size");
                return destination.AsSpan(0, (int)written).ToArray();
            }
            finally
            {
                handle.Free();
            }
        }
        finally
        {
            EncoderDestroy(encoder);
        }
    }

    /// <summary>Planar (all of component 0, then 1, ...) to interleaved samples; also used for native and deflated
    /// frames with planar configuration 1.</summary>
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

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_create")]
    private static partial IntPtr EncoderCreate();

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_destroy")]
    private static partial void EncoderDestroy(IntPtr encoder);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_set_frame_info")]
    private static partial int EncoderSetFrameInfo(IntPtr encoder, in FrameInfo frame);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_set_near_lossless")]
    private static partial int EncoderSetNearLossless(IntPtr encoder, int near);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_set_interleave_mode")]
    private static partial int EncoderSetInterleaveMode(IntPtr encoder, int mode);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_get_estimated_destination_size")]
    private static partial int EncoderGetEstimatedDestinationSize(IntPtr encoder, out nuint size);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_set_destination_buffer")]
    private static partial int EncoderSetDestinationBuffer(IntPtr encoder, IntPtr destination, nuint size);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_encode_from_buffer")]
    private static partial int EncoderEncodeFromBuffer(IntPtr encoder, byte[] source, nuint size, uint stride);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_encoder_get_bytes_written")]
    private static partial int EncoderGetBytesWritten(IntPtr encoder, out nuint written);

    [LibraryImport(Library, EntryPoint = "charls_get_error_message")]
    private static partial IntPtr GetErrorMessage(int error);
}
