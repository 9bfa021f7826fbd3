using System.Buffers.Binary;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Imaging;

/// <summary>Rewrites an instance's pixel data in another transfer syntax: decompression to native (explicit VR little
/// endian and the other native syntaxes) and RLE Lossless compression (our encoder, PS3.5 Annex G). Stored values are
/// kept exactly; colour frames decoded from JPEG or JPEG 2000 become RGB with planar configuration 0.</summary>
public static class PixelTranscoder
{
    public static void Transcode(DicomFile file, DicomTransferSyntax target)
    {
        var ds = file.Dataset;
        var hasPixels = ds.Contains(DicomTag.PixelData);
        if (!hasPixels || (file.TransferSyntax.IsNative && target.IsNative))
        {
            file.TransferSyntax = target; // the writer converts byte order and VR explicitness itself
            return;
        }

        if (target.Uid != DicomTransferSyntax.RLELossless.Uid && !target.IsNative)
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"encoding to {target.Name} is not supported (native syntaxes and RLE Lossless are)");
        }

        var info = PixelDataInfo.FromDataset(ds);
        if (info.BitsAllocated is not (8 or 16 or 32) || info.IsFloat)
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"transcoding {info.BitsAllocated}-bit pixel data is not supported");
        }

        var frames = new List<byte[]>(info.NumberOfFrames);
        string? photometric = null;
        for (var f = 0; f < info.NumberOfFrames; f++)
        {
            var decoded = FrameDecoder.Decode(ds, file.TransferSyntax, f);
            photometric ??= decoded.Photometric;
            frames.Add(ToLittleEndian(decoded, info));
        }

        if (photometric is not null)
        {
            ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, photometric);
        }

        if (info.SamplesPerPixel > 1)
        {
            ds.AddOrUpdate<ushort>(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        if (target.IsNative)
        {
            var all = new byte[frames.Sum(f => (long)f.Length)];
            var o = 0;
            foreach (var f in frames)
            {
                f.CopyTo(all, o);
                o += f.Length;
            }

            ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, info.BitsAllocated > 8 ? DicomVR.OW : DicomVR.OB, DicomBuffer.FromBytes(all)));
        }
        else
        {
            var sequence = new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB);
            foreach (var f in frames)
            {
                sequence.Fragments.Add(DicomBuffer.FromBytes(RleEncoder.EncodeFrame(f, info)));
            }

            ds.AddOrUpdate(sequence);
        }

        file.TransferSyntax = target;
    }

    /// <summary>A decoded frame's stored values as little-endian samples, interleaved.</summary>
    private static byte[] ToLittleEndian(DecodedFrame frame, PixelDataInfo info)
    {
        var size = info.BitsAllocated / 8;
        var n = info.Rows * info.Columns * info.SamplesPerPixel;
        var bytes = new byte[n * size];
        for (var i = 0; i < n; i++)
        {
            var v = frame.Values[i];
            switch (size)
            {
                case 1: bytes[i] = info.IsSigned ? (byte)(sbyte)v : (byte)v; break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), info.IsSigned ? (ushort)(short)v : (ushort)v); break;
                default: BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), info.IsSigned ? (uint)(int)v : (uint)v); break;
            }
        }

        return bytes;
    }
}
