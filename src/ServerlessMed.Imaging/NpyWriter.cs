using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ServerlessMed.Imaging;

/// <summary>NumPy .npy (format 1.0): a little-endian array with a dtype and shape, readable by numpy.load.</summary>
public static class NpyWriter
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    public static byte[] Float32(ReadOnlySpan<float> values, IReadOnlyList<int> shape) => Write(MemoryMarshal.AsBytes(values), "<f4", shape);

    public static byte[] Write(ReadOnlySpan<byte> data, string dtype, IReadOnlyList<int> shape)
    {
        var header = Header(dtype, shape);
        var result = new byte[header.Length + data.Length];
        header.CopyTo(result, 0);
        data.CopyTo(result.AsSpan(header.Length));
        return result;
    }

    /// <summary>Writes a float32 array to a stream without building it in memory first.</summary>
    public static void WriteFloat32(Stream stream, ReadOnlySpan<float> values, IReadOnlyList<int> shape)
    {
        stream.Write(Header("<f4", shape));
        stream.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Magic, version, header length and the header dictionary, padded so the data starts at a multiple of 64.</summary>
    public static byte[] Header(string dtype, IReadOnlyList<int> shape)
    {
        var dims = shape.Count == 1 ? shape[0].ToString(CultureInfo.InvariantCulture) + "," : string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
        var text = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + text.Length + 1;
        var pad = (64 - (total % 64)) % 64;
        var dict = Encoding.ASCII.GetBytes(text + new string(' ', pad) + "\n");
        var header = new byte[10 + dict.Length];
        Magic.CopyTo(header, 0);
        BitConverter.TryWriteBytes(header.AsSpan(8), (ushort)dict.Length);
        dict.CopyTo(header, 10);
        return header;
    }
}

/// <summary>A float32 .npy file built in place: the header, then <see cref="Values"/> to fill; <see cref="Bytes"/> is
/// the whole file. One allocation, no copy between computing values and uploading them.</summary>
public sealed class NpyFloat32Buffer
{
    private readonly int _headerLength;

    public NpyFloat32Buffer(IReadOnlyList<int> shape)
    {
        var header = NpyWriter.Header("<f4", shape);
        _headerLength = header.Length;
        Count = shape.Aggregate(1, (a, b) => checked(a * b));
        Bytes = new byte[checked(_headerLength + (Count * 4))];
        header.CopyTo(Bytes, 0);
    }

    public int Count { get; }

    public byte[] Bytes { get; }

    public Span<float> Values => MemoryMarshal.Cast<byte, float>(Bytes.AsSpan(_headerLength));
}
