using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace ServerlessMed.Imaging;

/// <summary>Reads the .npy files <see cref="NpyWriter"/> writes (and numpy.save does for a C-order little-endian
/// float32 array, format 1.0 to 3.0): the shape and the values.</summary>
public static partial class NpyReader
{
    /// <summary>The array's shape and values; <paramref name="source"/> names the file in errors.</summary>
    public static (int[] Shape, float[] Values) Float32(ReadOnlySpan<byte> npy, string source)
    {
        if (npy.Length < 10 || npy[0] != 0x93 || !npy[1..6].SequenceEqual("NUMPY"u8))
        {
            throw new InvalidDataException($"{source}: not a .npy file (no \\x93NUMPY magic)");
        }

        var major = npy[6];
        var (headerLength, start) = major == 1 ? (BitConverter.ToUInt16(npy[8..10]), 10) : (checked((int)BitConverter.ToUInt32(npy[8..12])), 12);
        if (start + headerLength > npy.Length)
        {
            throw new InvalidDataException($"{source}: the .npy header is longer than the file");
        }

        var header = Encoding.ASCII.GetString(npy.Slice(start, headerLength));
        var descr = Descr().Match(header);
        if (!descr.Success || descr.Groups[1].Value is not ("<f4" or "=f4" or "f4"))
        {
            throw new InvalidDataException($"{source}: dtype {(descr.Success ? descr.Groups[1].Value : "(none)")} is not little-endian float32");
        }

        if (FortranOrder().IsMatch(header))
        {
            throw new InvalidDataException($"{source}: Fortran-order arrays are not read");
        }

        var shapeMatch = Shape().Match(header);
        if (!shapeMatch.Success)
        {
            throw new InvalidDataException($"{source}: the .npy header has no shape");
        }

        var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var data = npy[(start + headerLength)..];
        if (data.Length != count * sizeof(float))
        {
            throw new InvalidDataException($"{source}: shape ({string.Join(", ", shape)}) needs {count * sizeof(float)} bytes of data, the file has {data.Length}");
        }

        return (shape, MemoryMarshal.Cast<byte, float>(data).ToArray());
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranOrder();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
