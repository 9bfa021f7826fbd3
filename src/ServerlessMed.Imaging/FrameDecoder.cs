using System.Buffers.Binary;
using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging;

/// <summary>Decodes one frame by index without decoding (or loading) the others. Native pixel data here;
/// compressed transfer syntaxes go through <see cref="IFrameCodec"/> implementations registered by syntax.</summary>
public static class FrameDecoder
{
    private static readonly Dictionary<string, IFrameCodec> Codecs = new(StringComparer.Ordinal)
    {
        [DicomTransferSyntax.RLELossless.Uid] = new RleCodec(),
        [DicomTransferSyntax.JPEGBaseline.Uid] = new Codecs.TurboJpegCodec(),
        [DicomTransferSyntax.JPEGExtended.Uid] = new Codecs.TurboJpegCodec(),
        ["1.2.840.10008.1.2.4.57"] = new Codecs.JpegLosslessCodec(),
        ["1.2.840.10008.1.2.4.70"] = new Codecs.JpegLosslessCodec(),
        ["1.2.840.10008.1.2.4.80"] = new Codecs.CharLsCodec(),
        ["1.2.840.10008.1.2.4.81"] = new Codecs.CharLsCodec(),
        ["1.2.840.10008.1.2.4.90"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.91"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.201"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.202"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.203"] = new Codecs.OpenJpegCodec(),
    };

    public static void Register(string transferSyntaxUid, IFrameCodec codec) => Codecs[transferSyntaxUid] = codec;

    public static bool CanDecode(DicomTransferSyntax ts) => ts.IsNative || Codecs.ContainsKey(ts.Uid);

    public static DecodedFrame Decode(DicomDataset ds, DicomTransferSyntax ts, int frame = 0)
    {
        var info = PixelDataInfo.FromDataset(ds);
        if (frame < 0 || frame >= info.NumberOfFrames)
        {
            throw new PixelDataException("bad-frame", $"frame {frame} requested, the instance has {info.NumberOfFrames}");
        }

        var item = ds[info.PixelTag];
        byte[] raw;
        if (item is DicomFragmentSequence fragments)
        {
            if (!Codecs.TryGetValue(ts.Uid, out var codec))
            {
                throw new PixelDataException("unsupported-transfer-syntax", $"pixel data in {ts.Name} ({ts.Uid}) cannot be decoded yet");
            }

            raw = codec.DecodeFrame(info, EncapsulatedFrames.GetFrame(fragments, frame, info.NumberOfFrames));
            var decoded = ToFrame(info with { PlanarConfiguration = 0 }, raw); // codecs return pixels interleaved
            decoded.Photometric = codec.DecodedPhotometric(info);
            return decoded;
        }
        else if (item is DicomElement element)
        {
            raw = new byte[info.FrameBytes];
            var start = info.FrameBytes * frame;
            if (info.BitsAllocated == 1)
            {
                // 1-bit frames are packed continuously across frame boundaries (PS3.5 8.1.1).
                var bitStart = (long)info.Rows * info.Columns * info.SamplesPerPixel * frame;
                return UnpackBits(element, info, bitStart);
            }

            if (start + raw.Length > element.Length)
            {
                throw new PixelDataException("short-pixel-data", $"pixel data has {element.Length} bytes, frame {frame} needs bytes up to {start + raw.Length}");
            }

            element.Buffer.ReadRange(start, raw);
        }
        else
        {
            throw new PixelDataException("no-pixel-data", "pixel data is not an element");
        }

        return ToFrame(info, raw);
    }

    internal static DecodedFrame ToFrame(PixelDataInfo info, byte[] raw)
    {
        var n = info.Rows * info.Columns * info.SamplesPerPixel;
        var values = new float[n];
        var span = raw.AsSpan();
        switch (info.BitsAllocated)
        {
            case 8:
                for (var i = 0; i < n; i++)
                {
                    values[i] = Mask(span[i], info);
                }

                break;
            case 16:
                for (var i = 0; i < n; i++)
                {
                    values[i] = Mask(BinaryPrimitives.ReadUInt16LittleEndian(span[(i * 2)..]), info);
                }

                break;
            case 32 when info.PixelTag == DicomTag.FloatPixelData:
                for (var i = 0; i < n; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]);
                }

                break;
            case 32:
                for (var i = 0; i < n; i++)
                {
                    var u = BinaryPrimitives.ReadUInt32LittleEndian(span[(i * 4)..]);
                    values[i] = info.IsSigned ? (int)u : u;
                }

                break;
            case 64:
                for (var i = 0; i < n; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]);
                }

                break;
        }

        if (info.SamplesPerPixel == 3 && info.PlanarConfiguration == 1)
        {
            values = Interleave(values, info.Rows * info.Columns);
        }

        return new DecodedFrame(info.Rows, info.Columns, info.SamplesPerPixel, values);
    }

    /// <summary>Keeps the Bits Stored low bits and sign-extends them when Pixel Representation is 1.</summary>
    private static float Mask(uint v, PixelDataInfo info)
    {
        var bits = info.BitsStored;
        if (bits <= 0 || bits >= 32)
        {
            return v;
        }

        var masked = v & ((1u << bits) - 1);
        if (info.IsSigned && (masked & (1u << (bits - 1))) != 0)
        {
            return (int)(masked | ~((1u << bits) - 1));
        }

        return masked;
    }

    private static float[] Interleave(float[] planar, int pixels)
    {
        var result = new float[planar.Length];
        for (var i = 0; i < pixels; i++)
        {
            result[i * 3] = planar[i];
            result[(i * 3) + 1] = planar[pixels + i];
            result[(i * 3) + 2] = planar[(2 * pixels) + i];
        }

        return result;
    }

    private static DecodedFrame UnpackBits(DicomElement element, PixelDataInfo info, long bitStart)
    {
        var n = info.Rows * info.Columns * info.SamplesPerPixel;
        var byteStart = bitStart / 8;
        var byteCount = (int)Math.Min(((bitStart % 8) + n + 7) / 8, element.Length - byteStart);
        if (byteCount <= 0)
        {
            throw new PixelDataException("short-pixel-data", "pixel data is shorter than the frames it declares");
        }

        var bytes = new byte[byteCount];
        element.Buffer.ReadRange(byteStart, bytes);
        var values = new float[n];
        var offset = (int)(bitStart % 8);
        for (var i = 0; i < n && (offset + i) / 8 < bytes.Length; i++)
        {
            var bit = offset + i;
            values[i] = (bytes[bit / 8] >> (bit % 8)) & 1;
        }

        return new DecodedFrame(info.Rows, info.Columns, info.SamplesPerPixel, values);
    }
}

/// <summary>Decodes one compressed frame to native little-endian bytes (planar configuration as the codec produces, interleaved by default).</summary>
public interface IFrameCodec
{
    byte[] DecodeFrame(PixelDataInfo info, byte[] compressed);

    /// <summary>The photometric interpretation of the decoded bytes when the codec changes it (JPEG: YBR → RGB), else null.</summary>
    string? DecodedPhotometric(PixelDataInfo info) => null;
}
