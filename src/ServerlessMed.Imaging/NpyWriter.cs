using System.Globalization;
using System.Text;

namespace ServerlessMed.Imaging;

/// <summary>NumPy .npy (format 1.0): little-endian float32 with a shape, readable by numpy.load.</summary>
public static class NpyWriter
{
    public static byte[] Float32(ReadOnlySpan<float> values, IReadOnlyList<int> shape) => Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values), "<f4", shape);

    public static byte[] Write(ReadOnlySpan<byte> data, string dtype, IReadOnlyList<int> shape)
    {
        var dims = shape.Count == 1 ? shape[0].ToString(CultureInfo.InvariantCulture) + "," : string.Join(", ", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
        var header = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + header.Length + 1;
        var pad = (64 - (total % 64)) % 64;
        header = header + new string(' ', pad) + "\n";
        using var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        var h = Encoding.ASCII.GetBytes(header);
        ms.Write(BitConverter.GetBytes((ushort)h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }
}
