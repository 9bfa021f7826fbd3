using System.Buffers.Binary;

namespace ServerlessMed.Imaging;

/// <summary>DICOM RLE Lossless encoder (PS3.5 Annex G): one segment per sample and byte (most significant byte first),
/// each a PackBits stream encoded row by row, after a 64-byte header of segment offsets; segments padded to even
/// length.</summary>
public static class RleEncoder
{
    public static byte[] EncodeFrame(byte[] interleavedLittleEndian, PixelDataInfo info)
    {
        var bytesPerSample = info.BitsAllocated / 8;
        var segments = info.SamplesPerPixel * bytesPerSample;
        if (segments > 15)
        {
            throw new PixelDataException("unsupported-transfer-syntax", "RLE holds at most 15 segments");
        }

        using var ms = new MemoryStream();
        ms.Write(new byte[64]);
        var offsets = new uint[15];
        var pixels = info.Rows * info.Columns;
        var row = new byte[info.Columns];
        for (var s = 0; s < info.SamplesPerPixel; s++)
        {
            for (var b = bytesPerSample - 1; b >= 0; b--)
            {
                offsets[(s * bytesPerSample) + (bytesPerSample - 1 - b)] = (uint)ms.Position;
                for (var y = 0; y < info.Rows; y++)
                {
                    for (var x = 0; x < info.Columns; x++)
                    {
                        var p = (y * info.Columns) + x;
                        row[x] = interleavedLittleEndian[(((p * info.SamplesPerPixel) + s) * bytesPerSample) + b];
                    }

                    PackBits(row, ms);
                }

                if (ms.Position % 2 == 1)
                {
                    ms.WriteByte(0);
                }
            }
        }

        _ = pixels;
        var result = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)segments);
        for (var i = 0; i < 15; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4 + (i * 4)), offsets[i]);
        }

        return result;
    }

    /// <summary>PackBits: a run of 2-128 equal bytes as (1 - n, byte); 1-128 others as (n - 1, bytes).</summary>
    private static void PackBits(ReadOnlySpan<byte> data, Stream output)
    {
        var i = 0;
        while (i < data.Length)
        {
            var run = 1;
            while (i + run < data.Length && run < 128 && data[i + run] == data[i])
            {
                run++;
            }

            if (run >= 2)
            {
                output.WriteByte((byte)(sbyte)(1 - run));
                output.WriteByte(data[i]);
                i += run;
                continue;
            }

            var start = i;
            while (i < data.Length && i - start < 128 && !(i + 1 < data.Length && data[i + 1] == data[i]))
            {
                i++;
            }

            if (i == start)
            {
                i++; // a single byte followed by its own run start: emit it as a literal of one
            }

            output.WriteByte((byte)(i - start - 1));
            output.Write(data[start..i]);
        }
    }
}
