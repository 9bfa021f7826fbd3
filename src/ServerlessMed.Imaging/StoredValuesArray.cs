using System.Buffers.Binary;

namespace ServerlessMed.Imaging;

/// <summary>Stored pixel values (before any LUT) of some frames as a NumPy .npy array of shape
/// (frames, rows, columns[, samples]) in the dataset's own sample type: u1/i1 for 8 bits (1 bit unpacked to u1),
/// u2/i2 for 16, u4/i4 for 32, f4/f8 for Float/Double Float Pixel Data — what pydicom's pixel_array holds.</summary>
public static class StoredValuesArray
{
    public static byte[] ToNpy(PixelDataInfo info, IReadOnlyList<DecodedFrame> frames)
    {
        var (dtype, size) = info switch
        {
            { PixelTag.Element: 0x0008 } => ("<f4", 4),
            { PixelTag.Element: 0x0009 } => ("<f8", 8),
            { BitsAllocated: <= 8 } => (info.IsSigned && info.BitsAllocated == 8 ? "|i1" : "|u1", 1),
            { BitsAllocated: 16 } => (info.IsSigned ? "<i2" : "<u2", 2),
            _ => (info.IsSigned ? "<i4" : "<u4", 4),
        };
        var perFrame = info.Rows * info.Columns * info.SamplesPerPixel;
        var data = new byte[(long)perFrame * frames.Count * size];
        var o = 0;
        foreach (var frame in frames)
        {
            foreach (var v in frame.Values.AsSpan(0, perFrame))
            {
                switch (dtype)
                {
                    case "<f4": BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(o), v); break;
                    case "<f8": BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(o), v); break;
                    case "|i1": data[o] = (byte)(sbyte)v; break;
                    case "|u1": data[o] = (byte)v; break;
                    case "<i2": BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(o), (short)v); break;
                    case "<u2": BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(o), (ushort)v); break;
                    case "<i4": BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(o), (int)v); break;
                    default: BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(o), (uint)v); break;
                }

                o += size;
            }
        }

        int[] shape = info.SamplesPerPixel > 1 ? [frames.Count, info.Rows, info.Columns, info.SamplesPerPixel] : [frames.Count, info.Rows, info.Columns];
        return NpyWriter.Write(data, dtype, shape);
    }
}
