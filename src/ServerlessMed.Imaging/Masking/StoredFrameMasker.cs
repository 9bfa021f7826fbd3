using System.Buffers.Binary;

namespace ServerlessMed.Imaging.Masking;

/// <summary>Fills rectangles of one frame's stored values (little endian, interleaved, 8, 16 or 32 bits per sample,
/// as <see cref="FrameDecoder.DecodeStored"/> returns them) with the value that displays darkest: the frame's
/// smallest value for MONOCHROME2 and PALETTE COLOR (its largest for MONOCHROME1), so the fill stays inside the
/// range the instance's Smallest/Largest Pixel Value and windows describe; black for colour (RGB 0, YBR luminance 0
/// with neutral chrominance).</summary>
public static class StoredFrameMasker
{
    public static void Fill(Span<byte> samples, PixelDataInfo layout, IReadOnlyList<PixelRect> boxes)
    {
        if (boxes.Count == 0)
        {
            return;
        }

        var size = layout.BitsAllocated / 8;
        if (size is not (1 or 2 or 4) || layout.IsFloat)
        {
            throw new PixelDataException("unsupported-mask", $"masking {layout.BitsAllocated}-bit{(layout.IsFloat ? " floating point" : string.Empty)} pixel data is not supported");
        }

        var spp = layout.SamplesPerPixel;
        var pixels = layout.Rows * layout.Columns;
        if (samples.Length < (long)pixels * spp * size)
        {
            throw new PixelDataException("short-pixel-data", "the frame is shorter than its rows, columns and samples say");
        }

        var fill = FillValues(samples, layout, size, pixels);
        Span<byte> pattern = stackalloc byte[spp * size];
        for (var s = 0; s < spp; s++)
        {
            Write(pattern[(s * size)..], size, fill[s]);
        }

        var rowBytes = layout.Columns * spp * size;
        foreach (var box in boxes)
        {
            var b = box.Inflate(0, layout.Columns, layout.Rows);
            for (var y = b.Y; y < b.Bottom; y++)
            {
                var row = samples.Slice((y * rowBytes) + (b.X * spp * size), b.Width * spp * size);
                for (var x = 0; x < b.Width; x++)
                {
                    pattern.CopyTo(row[(x * pattern.Length)..]);
                }
            }
        }
    }

    private static long[] FillValues(ReadOnlySpan<byte> samples, PixelDataInfo layout, int size, int pixels)
    {
        if (layout.SamplesPerPixel == 3)
        {
            var neutral = layout.Photometric.StartsWith("YBR", StringComparison.Ordinal) ? 1L << (layout.BitsStored - 1) : 0;
            return [0, neutral, neutral];
        }

        var darkestIsLargest = layout.Photometric == "MONOCHROME1";
        var best = darkestIsLargest ? long.MinValue : long.MaxValue;
        for (var i = 0; i < pixels; i++)
        {
            var v = Read(samples[(i * size)..], size, layout.IsSigned);
            best = darkestIsLargest ? Math.Max(best, v) : Math.Min(best, v);
        }

        return [best];
    }

    private static long Read(ReadOnlySpan<byte> s, int size, bool signed) => size switch
    {
        1 => signed ? (sbyte)s[0] : s[0],
        2 => signed ? BinaryPrimitives.ReadInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
        _ => signed ? BinaryPrimitives.ReadInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
    };

    private static void Write(Span<byte> s, int size, long v)
    {
        switch (size)
        {
            case 1: s[0] = (byte)v; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)v); break;
            default: BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)v); break;
        }
    }
}
