using System.Runtime.InteropServices;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>JPEG 2000 (lossless and lossy, Part 1) and High-Throughput JPEG 2000 through the system's OpenJPEG
/// (Debian libopenjp2-7, 2.5: HTJ2K decoding included), loaded at run time. The codestream goes to OpenJPEG through a
/// scratch file (its file stream), which keeps the interop free of callbacks. Colour codestreams with a
/// multi-component transform come back as RGB (OpenJPEG inverts the RCT/ICT); samples of more than 8 bits as 16-bit
/// little-endian, signed where the codestream says so. Encodes JPEG 2000 lossless (reversible 5/3 wavelet, one
/// quality layer, raw codestream as DICOM wants): RGB through the reversible colour transform, labelled YBR_RCT
/// (PS3.5 8.2.4); other colour spaces component by component, labelled as they were.</summary>
public sealed partial class OpenJpegCodec : IFrameCodec, IFrameEncoder
{
    // Offsets into OpenJPEG 2.5's opj_cparameters_t (18,720 bytes on 64-bit Linux), measured with offsetof against
    // Debian's libopenjp2-7-dev headers; the decoder side only reads opj_image_t, whose layout is older and stable.
    private const int ParametersSize = 18720;
    private const int OffsetDistoAlloc = 20;
    private const int OffsetNumLayers = 4796;
    private const int OffsetRates = 4800;
    private const int OffsetNumResolution = 5600;
    private const int OffsetIrreversible = 5616;
    private const int OffsetMct = 18698;
    private const int ColorSpaceSrgb = 1;
    private const int ColorSpaceGray = 2;
    private const int ColorSpaceUnspecified = 0;
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

    public string? EncodedPhotometric(PixelDataInfo layout) => UsesColourTransform(layout) ? "YBR_RCT" : null;

    public byte[] EncodeFrame(byte[] samples, PixelDataInfo layout)
    {
        if (!IsAvailable)
        {
            throw new PixelDataException("codec-missing", "JPEG 2000 encoding needs OpenJPEG: install the Debian package libopenjp2-7");
        }

        if (layout.BitsAllocated is not (8 or 16) || layout.BitsStored is < 1 or > 16)
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"JPEG 2000 encoding takes 8- or 16-bit samples; this frame has {layout.BitsStored} of {layout.BitsAllocated}");
        }

        var components = layout.SamplesPerPixel;
        var pixels = layout.Rows * layout.Columns;
        var scratch = Path.Combine(Path.GetTempPath(), $"smed-j2k-{Guid.NewGuid():N}.j2c");
        var cmpt = Marshal.AllocHGlobal(36 * components); // opj_image_cmptparm_t
        var parameters = Marshal.AllocHGlobal(ParametersSize);
        var image = IntPtr.Zero;
        var codec = IntPtr.Zero;
        var stream = IntPtr.Zero;
        try
        {
            for (var c = 0; c < components; c++)
            {
                var p = cmpt + (36 * c);
                int[] fields = [1, 1, layout.Columns, layout.Rows, 0, 0, layout.BitsStored, 0, layout.IsSigned ? 1 : 0];
                Marshal.Copy(fields, 0, p, fields.Length);
            }

            var colourSpace = components == 1 ? ColorSpaceGray : layout.Photometric == "RGB" ? ColorSpaceSrgb : ColorSpaceUnspecified;
            image = ImageCreate((uint)components, cmpt, colourSpace);
            if (image == IntPtr.Zero)
            {
                throw new PixelDataException("codec-error", "OpenJPEG could not create an image");
            }

            Marshal.Copy(new[] { 0, 0, layout.Columns, layout.Rows }, 0, image, 4); // x0, y0, x1, y1
            var comps = Marshal.ReadIntPtr(image, 24);
            var plane = new int[pixels];
            var size = layout.BitsAllocated / 8;
            for (var c = 0; c < components; c++)
            {
                for (var p = 0; p < pixels; p++)
                {
                    var o = ((p * components) + c) * size;
                    plane[p] = size == 1 ? (layout.IsSigned ? (sbyte)samples[o] : samples[o])
                        : layout.IsSigned ? (short)(samples[o] | (samples[o + 1] << 8)) : samples[o] | (samples[o + 1] << 8);
                }

                Marshal.Copy(plane, 0, Marshal.ReadIntPtr(comps + (c * 64), 48), pixels);
            }

            SetDefaultEncoderParameters(parameters);
            Marshal.WriteInt32(parameters, OffsetNumLayers, 1);
            Marshal.WriteInt32(parameters, OffsetRates, 0); // float 0.0: lossless layer
            Marshal.WriteInt32(parameters, OffsetDistoAlloc, 1);
            Marshal.WriteInt32(parameters, OffsetIrreversible, 0);
            Marshal.WriteInt32(parameters, OffsetNumResolution, Resolutions(layout));
            Marshal.WriteByte(parameters, OffsetMct, (byte)(UsesColourTransform(layout) ? 1 : 0));

            codec = CreateCompress(CodecJ2K);
            if (codec == IntPtr.Zero || SetupEncoder(codec, parameters, image) == 0)
            {
                throw new PixelDataException("codec-error", "OpenJPEG could not set up an encoder");
            }

            stream = StreamCreateDefaultFileStream(scratch, 0);
            if (stream == IntPtr.Zero || StartCompress(codec, image, stream) == 0 || Encode(codec, stream) == 0 || EndCompress(codec, stream) == 0)
            {
                throw new PixelDataException("codec-error", "OpenJPEG could not encode the frame");
            }

            StreamDestroy(stream);
            stream = IntPtr.Zero;
            return File.ReadAllBytes(scratch);
        }
        finally
        {
            if (stream != IntPtr.Zero)
            {
                StreamDestroy(stream);
            }

            if (codec != IntPtr.Zero)
            {
                DestroyCodec(codec);
            }

            if (image != IntPtr.Zero)
            {
                ImageDestroy(image);
            }

            Marshal.FreeHGlobal(parameters);
            Marshal.FreeHGlobal(cmpt);
            File.Delete(scratch);
        }
    }

    private static bool UsesColourTransform(PixelDataInfo layout) => layout.SamplesPerPixel == 3 && layout.Photometric == "RGB";

    /// <summary>Wavelet levels + 1, at most OpenJPEG's default 6, fewer for small images (each level halves the size).</summary>
    private static int Resolutions(PixelDataInfo layout)
    {
        var smallest = Math.Min(layout.Rows, layout.Columns);
        var n = 1;
        while (n < 6 && smallest >> n > 0)
        {
            n++;
        }

        return n;
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

    [LibraryImport(Library, EntryPoint = "opj_image_create")]
    private static partial IntPtr ImageCreate(uint count, IntPtr parameters, int colourSpace);

    [LibraryImport(Library, EntryPoint = "opj_set_default_encoder_parameters")]
    private static partial void SetDefaultEncoderParameters(IntPtr parameters);

    [LibraryImport(Library, EntryPoint = "opj_create_compress")]
    private static partial IntPtr CreateCompress(int format);

    [LibraryImport(Library, EntryPoint = "opj_setup_encoder")]
    private static partial int SetupEncoder(IntPtr codec, IntPtr parameters, IntPtr image);

    [LibraryImport(Library, EntryPoint = "opj_start_compress")]
    private static partial int StartCompress(IntPtr codec, IntPtr image, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "opj_encode")]
    private static partial int Encode(IntPtr codec, IntPtr stream);

    [LibraryImport(Library, EntryPoint = "opj_end_compress")]
    private static partial int EndCompress(IntPtr codec, IntPtr stream);

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
