using System.Buffers.Binary;

namespace ServerlessMed.Imaging;

/// <summary>Stored pixel values (before any LUT) of some frames as a NumPy .npy array of shape
/// (frames, rows, columns[, samples]) in the dataset's own sample type: u1/i1 for 8 bits (1 bit unpacked to u1),
/// u2/i2 for 16, u4/i4 for 32, f4/f8 for Float/Double Float Pixel Data — what pydicom's pixel_array holds.
/// Integer samples are read as PS3.5 8.1.1 defines them: the low Bits Stored bits, sign-extended when Pixel
/// Representation is 1 (bits above Bits Stored are not part of the value).</summary>
public static class StoredValuesArray
{
    public static byte[] ToNpy(IReadOnlyList<StoredFrame> frames)
    {
        if (frames.Count == 0)
        {
            throw new ArgumentException("no frames", nameof(frames));
        }

        var info = frames[0].Layout;
        var (dtype, size) = info switch
        {
            { PixelTag.Element: 0x0008 } => ("<f4", 4),
            { PixelTag.Element: 0x0009 } => ("<f8", 8),
            { BitsAllocated: <= 8 } => (info.IsSigned && info.BitsAllocated == 8 ? "|i1" : "|u1", 1),
            { BitsAllocated: 16 } => (info.IsSigned ? "<i2" : "<u2", 2),
            _ => (info.IsSigned ? "<i4" : "<u4", 4),
        };
        var perFrame = info.Rows * info.Columns * info.SamplesPerPixel * size;
        var data = new byte[(long)perFrame * frames.Count];
        var o = 0;
        foreach (var frame in frames)
        {
            var src = frame.Bytes.AsSpan(0, perFrame);
            var dst = data.AsSpan(o, perFrame);
            src.CopyTo(dst);
            Normalise(dst, info);

            o += perFrame;
        }

        int[] shape = info.SamplesPerPixel > 1 ? [frames.Count, info.Rows, info.Columns, info.SamplesPerPixel] : [frames.Count, info.Rows, info.Columns];
        return NpyWriter.Write(data, dtype, shape);
    }

    /// <summary>Rewrites integer samples (little endian, <paramref name="layout"/>'s Bits Allocated) as their stored
    /// values: the low Bits Stored bits, sign-extended when signed. Bits above Bits Stored carry no value (PS3.5 8.1.1),
    /// but readers that ignore Bits Stored show them, so transcoded files and arrays hold them normalised.</summary>
    public static void Normalise(Span<byte> samples, PixelDataInfo layout)
    {
        var size = layout.BitsAllocated / 8;
        if (layout.IsFloat || size is not (1 or 2 or 4) || layout.BitsStored <= 0 || layout.BitsStored >= size * 8)
        {
            return;
        }

        Normalise(samples, size, layout.BitsStored, layout.IsSigned);
    }

    private static void Normalise(Span<byte> samples, int size, int bitsStored, bool signed)
    {
        var mask = (1u << bitsStored) - 1;
        var sign = 1u << (bitsStored - 1);
        for (var i = 0; i < samples.Length; i += size)
        {
            var s = samples[i..];
            var v = size switch
            {
                1 => s[0],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(s),
                _ => BinaryPrimitives.ReadUInt32LittleEndian(s),
            };
            v &= mask;
            if (signed && (v & sign) != 0)
            {
                v |= ~mask;
            }

            switch (size)
            {
                case 1: s[0] = (byte)v; break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)v); break;
                default: BinaryPrimitives.WriteUInt32LittleEndian(s, v); break;
            }
        }
    }
}
