using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging;

/// <summary>A Modality or VOI LUT (PS3.3 C.11.1.1, C.11.2.1.1): LUT Descriptor (entries, first stored value mapped,
/// bits per entry) and LUT Data. Values below the first mapped value take the first entry, above the last the last.</summary>
public sealed class LookupTable
{
    private LookupTable(int firstMapped, int bits, ushort[] data)
    {
        FirstMapped = firstMapped;
        Bits = bits;
        Data = data;
    }

    public int FirstMapped { get; }

    public int Bits { get; }

    public IReadOnlyList<ushort> Data { get; }

    /// <summary>The largest value an entry can hold (2^bits − 1): what a VOI LUT's output is scaled by for display.</summary>
    public int MaxOutput => (1 << Bits) - 1;

    public float Map(float value)
    {
        var index = (int)Math.Clamp(Math.Floor(value) - FirstMapped, 0, Data.Count - 1);
        return Data[index];
    }

    /// <summary>The table of a LUT sequence item, or null when its descriptor or data is missing or inconsistent (such
    /// an item is ignored, as viewers do, rather than failing the whole image).</summary>
    public static LookupTable? FromItem(DicomDataset item, bool signedInput)
    {
        if (!item.TryGetElement(DicomTag.LUTDescriptor, out var descriptor) || !item.TryGetElement(DicomTag.LUTData, out var data))
        {
            return null;
        }

        var d = item.GetValues<int>(DicomTag.LUTDescriptor);
        if (d.Length != 3 || d[2] is < 1 or > 16)
        {
            return null;
        }

        var entries = d[0] == 0 ? 65536 : d[0] & 0xFFFF;
        var first = d[1];

        // The first mapped value is US or SS as the pixel data is unsigned or signed (C.11.1.1.1).
        if (descriptor.ValueRepresentation == DicomVR.SS || signedInput)
        {
            first = (short)(ushort)first;
        }
        else
        {
            first &= 0xFFFF;
        }

        var bytes = data.Buffer.GetMemory().Span;
        ushort[] table;
        if (d[2] <= 8 && bytes.Length >= entries && bytes.Length < 2 * entries)
        {
            table = new ushort[entries]; // 8-bit entries packed two to a word
            for (var i = 0; i < entries; i++)
            {
                table[i] = bytes[i];
            }
        }
        else if (bytes.Length >= 2 * entries)
        {
            table = new ushort[entries];
            for (var i = 0; i < entries; i++)
            {
                table[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]);
            }
        }
        else
        {
            return null;
        }

        return new LookupTable(first, d[2], table);
    }
}
