using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>JPEG 2000 (lossless and lossy, Part 1) and High-Throughput JPEG 2000 through the system's OpenJPEG
/// (Debian libopenjp2-7, 2.5: HTJ2K decoding included), loaded at run time. The codestream goes to OpenJPEG through a
/// scratch file (its file stream), which keeps the interop free of callbacks. Colour codestreams with a
/// multi-component transform come back as RGB (OpenJPEG inverts the RCT/ICT); samples of more than 8 bits as 16-bit
/// little-endian, signed where the codestream says so.</summary>
public sealed partial class OpenJpegCodec : IFrameCodec
{
    private const string Library = "openjp2";
    private const int CodecJ2K = 0;
    private const int CodecJp2 = 2;

    private static readonly Lazy<bool> Available = new(() =>
    {
        NativeResolver.Register(typeof(OpenJpegCodec).Assembly);
        return NativeLibrary.TryLoad("libopenjp2.so.7", out _);
    });

    public static bool IsAvailable => Available.Value;

    public string? DecodedPhotometric(PixelDataInfo info) => info.SamplesPerPixel == 3 ? "RGB" : null;

    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed)
    {
        if (!IsAvailable)
        {
            throw new PixelDataException("codec-missing", "JPEG 2000 decoding needs OpenJPEG: install the Debian package libopenjp2-7");
        }

        var isJp2 = compressed.Length > 8 && compressed[4] == 'j' && compressed[5] == 'P' && compressed[6] == ' ' && compressed[7] == ' ';
        var scratch = Path.Combine(Path.GetTempPath(), $"smed-j2k-{Guid.NewGuid():N}.{(isJp2 ? "jp2" : "j2c")}");
        File.WriteAllBytes(scratch, compressed);
        var codec = IntPtr.Zero;
        var stream = IntPtr.Zero;
        var image = IntPtr.Zero;
        var parameters = Marshal.AllocHGlobal(1 << 16); // opj_dparameters_t is ~8.5 KB; filled by OpenJPEG itself
        try
        {
            codec = CreateDecompress(isJp2 ? CodecJp2 : CodecJ2K);
            SetDefaultDecoderParameters(parameters);
            if (codec == IntPtr.Zero || SetupDecoder(codec, parameters) == 0)
            {
                throw new PixelDataException("codec-error", "OpenJPEG could not set up a decoder");
            }

            stream = StreamCreateDefaultFileStream(scratch, 1);
            if (stream == IntPtr.Zero || ReadHeader(stream, codec, out image) == 0)
            {
                throw new PixelDataException("bad-jpeg2000", "JPEG 2000 header could not be read");
            }

            if (Decode(codec, stream, image) == 0 || EndDecompress(codec, stream) == 0)
            {
                throw new PixelDataException("bad-jpeg2000", "JPEG 2000 data could not be decoded");
            }

            return ToInterleaved(image, info);
        }
        finally
        {
            if (image != IntPtr.Zero)
            {
                ImageDestroy(image);
            }

            if (stream != IntPtr.Zero)
            {
                StreamDestroy(stream);
            }

            if (codec != IntPtr.Zero)
            {
                DestroyCodec(codec);
            }

            Marshal.FreeHGlobal(parameters);
            File.Delete(scratch);
        }
    }

    /// <summary>opj_image_t's components (int32 planes) to the dataset's interleaved stored values.</summary>
    private static byte[] ToInterleaved(IntPtr image, PixelDataInfo info)
    {
        var componentCount = Marshal.ReadInt32(image, 16);
        var comps = Marshal.ReadIntPtr(image, 24);
        if (componentCount != info.SamplesPerPixel)
        {
            throw new PixelDataException("bad-jpeg2000", $"JPEG 2000 image has {componentCount} components, the dataset says {info.SamplesPerPixel} samples per pixel");
        }

        var bytesPerSample = info.BitsAllocated > 8 ? 2 : 1;
        var pixels = info.Rows * info.Columns;
        var output = new byte[pixels * componentCount * bytesPerSample];
        var plane = new int[pixels];
        for (var c = 0; c < componentCount; c++)
        {
            var comp = comps + (c * 64); // sizeof(opj_image_comp_t) on 64-bit
            var w = Marshal.ReadInt32(comp, 8);
            var h = Marshal.ReadInt32(comp, 12);
            if (w != info.Columns || h != info.Rows)
            {
                throw new PixelDataException("bad-jpeg2000", $"JPEG 2000 component {c} is {w}x{h}, the dataset says {info.Columns}x{info.Rows}");
            }

            Marshal.Copy(Marshal.ReadIntPtr(comp, 48), plane, 0, pixels);
            for (var p = 0; p < pixels; p++)
            {
                var v = plane[p];
                var o = ((p * componentCount) + c) * bytesPerSample;
                output[o] = (byte)v;
                if (bytesPerSample == 2)
                {
                    output[o + 1] = (byte)(v >> 8);
                }
            }
        }

        return output;
    }

    [LibraryImport(Library, EntryPoint = "opj_create_decompress")]
    private static partial IntPtr CreateDecompress(int format);

    [LibraryImport(Library, EntryPoint = "opj_set_default_decoder_parameters")]
    private static partial void SetDefaultDecoderParameters(IntPtr parameters);

    [LibraryImport(Library, EntryPoint = "opj_setup_decoder")]
    private static partial int SetupDecoder(IntPtr codec, IntPtr parameters);

    [LibraryImport(Library, EntryPoint = "opj_stream_create_default_file_stream", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr StreamCreateDefaultFileStream(string path, int isRead);

    [LibraryImport(Library, EntryPoint = "opj_read_header")]
    private static partial int ReadHeader(IntPtr stream, IntPtr codec, out IntPtr image);

    [LibraryImport(Library, EntryPoint = "opj_decode")]
    private static partial int Decode(IntPtr codec, IntPtr stream, IntPtr image);

    [LibraryImport(Library, EntryPoint = "opj_end_decompress")]
    private static partial int EndDecompress(IntPtr codec, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "opj_image_destroy")]
    private static partial void ImageDestroy(IntPtr image);

    [LibraryImport(Library, EntryPoint = "opj_stream_destroy")]
    private static partial void StreamDestroy(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "opj_destroy_codec")]
    private static partial void DestroyCodec(IntPtr codec);
}
