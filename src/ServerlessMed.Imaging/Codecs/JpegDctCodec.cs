using System.Buffers.Binary;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>Sequential DCT JPEG with Huffman coding (ITU T.81 baseline SOF0 and extended SOF1), 8- or 12-bit samples:
/// our own decoder, because libjpeg-turbo 2.1's API (the system library here) is 8-bit only and DICOM's JPEG Extended
/// syntax (1.2.840.10008.1.2.4.51) carries 12-bit CT and MR. Samples equal IJG libjpeg's with its default accurate
/// integer IDCT (<see cref="IslowIdct"/>); colour follows <see cref="JpegColorSpace"/>, and where it is converted from
/// YCbCr, that is with IJG's fixed-point tables. Subsampled
/// components and progressive/arithmetic processes are reported as unsupported rather than approximated.
/// 12-bit samples come back as 16-bit little-endian, interleaved.</summary>
public sealed class JpegDctCodec : IFrameCodec
{
    private static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
        47, 55, 62, 63,
    ];

    public string? DecodedPhotometric(PixelDataInfo info) => JpegColorSpace.DecodedPhotometric(info);

    /// <summary>The sample precision (P of the SOF segment) of a JPEG stream, or 0 when there is no frame header.</summary>
    public static int ReadPrecision(ReadOnlySpan<byte> jpeg)
    {
        var i = 2;
        while (i + 4 < jpeg.Length)
        {
            if (jpeg[i] != 0xFF)
            {
                return 0;
            }

            var marker = jpeg[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return jpeg[i + 4];
            }

            i += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg[(i + 2)..]);
        }

        return 0;
    }

    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed)
    {
        var image = new JpegDctDecoder(compressed).Decode();
        if (image.Width != info.Columns || image.Height != info.Rows || image.Planes.Length != info.SamplesPerPixel)
        {
            throw new PixelDataException("bad-jpeg", $"JPEG is {image.Width}x{image.Height}x{image.Planes.Length}, the dataset says {info.Columns}x{info.Rows}x{info.SamplesPerPixel}");
        }

        if (image.Planes.Length == 3 && JpegColorSpace.ConvertsToRgb(info, JpegColorSpace.Read(compressed), image.IsYCbCr))
        {
            YCbCrToRgb(image);
        }

        var bytesPerSample = image.Precision > 8 || info.BitsAllocated > 8 ? 2 : 1;
        var n = image.Planes.Length;
        var pixels = image.Width * image.Height;
        var output = new byte[pixels * n * bytesPerSample];
        for (var c = 0; c < n; c++)
        {
            var plane = image.Planes[c];
            for (var y = 0; y < image.Height; y++)
            {
                var row = plane.AsSpan(y * image.Stride, image.Width);
                for (var x = 0; x < image.Width; x++)
                {
                    var o = ((((y * image.Width) + x) * n) + c) * bytesPerSample;
                    output[o] = (byte)row[x];
                    if (bytesPerSample == 2)
                    {
                        output[o + 1] = (byte)(row[x] >> 8);
                    }
                }
            }
        }

        return output;
    }

    /// <summary>IJG jdcolor.c ycc_rgb_convert: 16-bit fixed-point tables, rounding as libjpeg does, then clamped.</summary>
    private static void YCbCrToRgb(DecodedJpeg image)
    {
        const int scaleBits = 16;
        const int half = 1 << (scaleBits - 1);
        static int Fix(double x) => (int)((x * (1L << scaleBits)) + 0.5);
        var max = (1 << image.Precision) - 1;
        var center = 1 << (image.Precision - 1);
        var crR = new int[max + 1];
        var cbB = new int[max + 1];
        var crG = new int[max + 1];
        var cbG = new int[max + 1];
        for (var i = 0; i <= max; i++)
        {
            var x = i - center;
            crR[i] = ((Fix(1.40200) * x) + half) >> scaleBits;
            cbB[i] = ((Fix(1.77200) * x) + half) >> scaleBits;
            crG[i] = -Fix(0.71414) * x;
            cbG[i] = (-Fix(0.34414) * x) + half;
        }

        ushort[] yp = image.Planes[0], cbp = image.Planes[1], crp = image.Planes[2];
        for (var i = 0; i < yp.Length; i++)
        {
            int y = yp[i], cb = cbp[i], cr = crp[i];
            yp[i] = (ushort)Math.Clamp(y + crR[cr], 0, max);
            cbp[i] = (ushort)Math.Clamp(y + ((cbG[cb] + crG[cr]) >> scaleBits), 0, max);
            crp[i] = (ushort)Math.Clamp(y + cbB[cb], 0, max);
        }
    }

    internal static ReadOnlySpan<byte> NaturalOrder => ZigZag;
}
