namespace ServerlessMed.Imaging;

/// <summary>RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, each segment a PackBits stream of
/// one byte plane (most significant byte first per sample).</summary>
public sealed class RleCodec : IFrameCodec
{
    public byte[] DecodeFrame(PixelDataInfo info, byte[] data)
    {
        if (data.Length < 64)
        {
            throw new PixelDataException("bad-rle", "RLE frame is shorter than its 64-byte header");
        }

        var segments = (int)BitConverter.ToUInt32(data, 0);
        var bytesPerSample = info.BitsAllocated / 8;
        var expected = info.SamplesPerPixel * bytesPerSample;
        if (segments != expected)
        {
            throw new PixelDataException("bad-rle", $"RLE header has {segments} segments, the image needs {expected}");
        }

        var pixels = info.Rows * info.Columns;
        var output = new byte[pixels * expected];
        for (var s = 0; s < segments; s++)
        {
            var start = (int)BitConverter.ToUInt32(data, 4 + (s * 4));
            var end = s + 1 < segments ? (int)BitConverter.ToUInt32(data, 8 + (s * 4)) : data.Length;
            if (start < 64 || start > data.Length || end > data.Length || end < start)
            {
                throw new PixelDataException("bad-rle", $"RLE segment {s} offsets are outside the frame");
            }

            var plane = new byte[pixels];
            DecodePackBits(data.AsSpan(start, end - start), plane);
            var sample = s / bytesPerSample;
            var byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segments are MSB first; output is little endian
            for (var p = 0; p < pixels; p++)
            {
                output[(((p * info.SamplesPerPixel) + sample) * bytesPerSample) + byteInSample] = plane[p];
            }
        }

        return output;
    }

    private static void DecodePackBits(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        int i = 0, o = 0;
        while (i < src.Length && o < dst.Length)
        {
            var n = (sbyte)src[i++];
            if (n >= 0)
            {
                var count = Math.Min(n + 1, Math.Min(dst.Length - o, src.Length - i));
                src.Slice(i, count).CopyTo(dst[o..]);
                i += n + 1;
                o += count;
            }
            else if (n != -128)
            {
                if (i >= src.Length)
                {
                    break;
                }

                var count = Math.Min(-n + 1, dst.Length - o);
                dst.Slice(o, count).Fill(src[i++]);
                o += count;
            }
        }
    }
}
