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
        [DicomTransferSyntax.JPEGBaseline.Uid] = new Codecs.JpegCodec(),
        [DicomTransferSyntax.JPEGExtended.Uid] = new Codecs.JpegCodec(),
        ["1.2.840.10008.1.2.4.57"] = new Codecs.JpegLosslessCodec(),
        ["1.2.840.10008.1.2.4.70"] = new Codecs.JpegLosslessCodec(),
        ["1.2.840.10008.1.2.4.80"] = new Codecs.CharLsCodec(),
        ["1.2.840.10008.1.2.4.81"] = new Codecs.CharLsCodec(),
        ["1.2.840.10008.1.2.4.90"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.91"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.201"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.202"] = new Codecs.OpenJpegCodec(),
        ["1.2.840.10008.1.2.4.203"] = new Codecs.OpenJpegCodec(),
        [DicomTransferSyntax.DeflatedImageFrameCompression.Uid] = new Codecs.DeflatedFrameCodec(),
    };

    public static void Register(string transferSyntaxUid, IFrameCodec codec) => Codecs[transferSyntaxUid] = codec;

    public static bool CanDecode(DicomTransferSyntax ts) => ts.IsNative || Codecs.ContainsKey(ts.Uid);

    public static DecodedFrame Decode(DicomDataset ds, DicomTransferSyntax ts, int frame = 0)
    {
        var stored = DecodeStored(ds, ts, frame);
        var decoded = ToFrame(stored.Layout, stored.Bytes);
        decoded.Photometric = stored.Photometric;
        return decoded;
    }

    /// <summary>One frame's stored values as native little-endian bytes, exactly as stored (no masking to Bits Stored,
    /// no widening to float): what transcoding writes and what <c>smed pixels</c> reads for 32- and 64-bit samples,
    /// which a float cannot hold. Samples come back interleaved; 1-bit frames one byte per sample; native
    /// YBR_FULL_422 (two luminance samples sharing one chrominance pair) expanded to three samples per pixel.</summary>
    public static StoredFrame DecodeStored(DicomDataset ds, DicomTransferSyntax ts, int frame = 0)
    {
        var info = PixelDataInfo.FromDataset(ds);
        if (frame < 0 || frame >= info.NumberOfFrames)
        {
            throw new PixelDataException("bad-frame", $"frame {frame} requested, the instance has {info.NumberOfFrames}");
        }

        var item = ds[info.PixelTag];
        if (item is DicomFragmentSequence fragments)
        {
            if (!Codecs.TryGetValue(ts.Uid, out var codec))
            {
                throw new PixelDataException("unsupported-transfer-syntax", $"pixel data in {ts.Name} ({ts.Uid}) cannot be decoded yet");
            }

            var raw = codec.DecodeFrame(info, EncapsulatedFrames.GetFrame(fragments, frame, info.NumberOfFrames));
            var layout = info.BitsAllocated == 1 ? info with { PlanarConfiguration = 0, BitsAllocated = 8, BitsStored = 1 } : info with { PlanarConfiguration = 0 };
            return new StoredFrame(layout, raw, codec.DecodedPhotometric(info)); // codecs return pixels interleaved, 1-bit unpacked
        }

        if (item is not DicomElement element)
        {
            throw new PixelDataException("no-pixel-data", "pixel data is not an element");
        }

        if (info.BitsAllocated == 1)
        {
            // 1-bit frames are packed continuously across frame boundaries (PS3.5 8.1.1).
            var bitStart = (long)info.Rows * info.Columns * info.SamplesPerPixel * frame;
            return new StoredFrame(info with { BitsAllocated = 8, BitsStored = 1 }, UnpackBits(element, info, bitStart), null);
        }

        var subsampled = info.SamplesPerPixel == 3 && info.Photometric == "YBR_FULL_422";
        var frameBytes = subsampled ? info.FrameBytes * 2 / 3 : info.FrameBytes;
        var start = frameBytes * frame;
        if (start + frameBytes > element.Length)
        {
            throw new PixelDataException("short-pixel-data", $"pixel data has {element.Length} bytes, frame {frame} needs bytes up to {start + frameBytes}");
        }

        var bytes = new byte[frameBytes];
        element.Buffer.ReadRange(start, bytes);
        if (subsampled)
        {
            return new StoredFrame(info with { PlanarConfiguration = 0 }, ExpandYbr422(bytes, info), "YBR_FULL");
        }

        if (info.SamplesPerPixel == 3 && info.PlanarConfiguration == 1)
        {
            return new StoredFrame(info with { PlanarConfiguration = 0 }, ServerlessMed.Imaging.Codecs.CharLsCodec.Interleave(bytes, 3, info.Rows * info.Columns, info.BitsAllocated / 8), null);
        }

        return new StoredFrame(info, bytes, null);
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

    /// <summary>Native YBR_FULL_422 (PS3.3 C.7.6.3.1.2): each pair of pixels on a row is stored Y1 Y2 Cb Cr; both
    /// pixels get the pair's chrominance, as pydicom and DCMTK expand it.</summary>
    private static byte[] ExpandYbr422(byte[] packed, PixelDataInfo info)
    {
        var size = info.BitsAllocated / 8;
        var result = new byte[(long)info.Rows * info.Columns * 3 * size];
        var pixels = info.Rows * info.Columns;
        for (var p = 0; p < pixels && ((p / 2) + 1) * 4 * size <= packed.Length; p += 2)
        {
            var src = (p / 2) * 4 * size;
            var y1 = packed.AsSpan(src, size);
            var y2 = packed.AsSpan(src + size, size);
            var cb = packed.AsSpan(src + (2 * size), size);
            var cr = packed.AsSpan(src + (3 * size), size);
            var o = p * 3 * size;
            y1.CopyTo(result.AsSpan(o));
            cb.CopyTo(result.AsSpan(o + size));
            cr.CopyTo(result.AsSpan(o + (2 * size)));
            if (p + 1 < pixels)
            {
                y2.CopyTo(result.AsSpan(o + (3 * size)));
                cb.CopyTo(result.AsSpan(o + (4 * size)));
                cr.CopyTo(result.AsSpan(o + (5 * size)));
            }
        }

        return result;
    }

    private static byte[] UnpackBits(DicomElement element, PixelDataInfo info, long bitStart)
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
        var values = new byte[n];
        var offset = (int)(bitStart % 8);
        for (var i = 0; i < n && (offset + i) / 8 < bytes.Length; i++)
        {
            var bit = offset + i;
            values[i] = (byte)((bytes[bit / 8] >> (bit % 8)) & 1);
        }

        return values;
    }
}
/// <summary>Decodes one compressed frame to native little-endian bytes (planar configuration as the codec produces, interleaved by default).</summary>
public interface IFrameCodec
{
    byte[] DecodeFrame(PixelDataInfo info, byte[] compressed);

    /// <summary>The photometric interpretation of the decoded bytes when the codec changes it (JPEG: YBR → RGB), else null.</summary>
    string? DecodedPhotometric(PixelDataInfo info) => null;
}
