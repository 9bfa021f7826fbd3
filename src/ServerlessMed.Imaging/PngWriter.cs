using System.Buffers.Binary;
using System.IO.Compression;

namespace ServerlessMed.Imaging;

/// <summary>A small PNG encoder (8-bit gray/RGB, 16-bit gray) on System.IO.Compression: deterministic bytes
/// for the same pixels, which the generation stage relies on for idempotent outputs.</summary>
public static class PngWriter
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    public static byte[] Encode(Image8 image) => Encode(image.Width, image.Height, image.Channels, 8, image.Pixels);

    /// <summary>16-bit values are big-endian in <paramref name="pixels"/> as PNG stores them.</summary>
    public static byte[] Encode(int width, int height, int channels, int bitDepth, ReadOnlySpan<byte> pixels)
    {
        if (channels is not (1 or 3) || bitDepth is not (8 or 16))
        {
            throw new ArgumentException("PNG writer supports 1 or 3 channels at 8 or 16 bits");
        }

        var rowBytes = width * channels * (bitDepth / 8);
        if (pixels.Length != rowBytes * height)
        {
            throw new ArgumentException($"expected {rowBytes * height} bytes of pixels, got {pixels.Length}");
        }

        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);
        WriteChunk(ms, "IHDR", ihdr);

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter: none
                z.Write(pixels.Slice(y * rowBytes, rowBytes));
            }
        }

        WriteChunk(ms, "IDAT", compressed.ToArray());
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (var i = 0; i < 4; i++)
        {
            head[4 + i] = (byte)type[i];
        }

        s.Write(head);
        s.Write(data);
        var crc = Crc(head[4..], 0xFFFFFFFF);
        crc = Crc(data, crc) ^ 0xFFFFFFFF;
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        s.Write(tail);
    }

    private static uint Crc(ReadOnlySpan<byte> data, uint crc)
    {
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
