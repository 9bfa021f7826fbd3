using System.IO.Compression;

namespace ServerlessMed.Imaging.Codecs;

/// <summary>Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 8.2.16): each frame's native little-endian
/// bytes compressed with raw Deflate (RFC 1951, no zlib header), meant mostly for 1-bit segmentations. Inflated with
/// .NET's own zlib; 1-bit frames (each starting on a byte boundary) are unpacked to one byte per sample and planar
/// colour frames interleaved, as every codec returns them.</summary>
public sealed class DeflatedFrameCodec : IFrameCodec
{
    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed)
    {
        var native = new byte[info.FrameBytes];
        try
        {
            using var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
            inflater.ReadExactly(native);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new PixelDataException("bad-deflate", $"deflated frame does not inflate to the {info.FrameBytes} bytes a frame needs: {e.Message}");
        }

        if (info.BitsAllocated == 1)
        {
            var samples = info.Rows * info.Columns * info.SamplesPerPixel;
            var unpacked = new byte[samples];
            for (var i = 0; i < samples; i++)
            {
                unpacked[i] = (byte)((native[i >> 3] >> (i & 7)) & 1);
            }

            return unpacked;
        }

        return info.SamplesPerPixel == 3 && info.PlanarConfiguration == 1
            ? CharLsCodec.Interleave(native, 3, info.Rows * info.Columns, info.BitsAllocated / 8)
            : native;
    }
}
