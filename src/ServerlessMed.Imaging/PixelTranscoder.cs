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
            var decoded = FrameDecoder.DecodeStored(ds, file.TransferSyntax, f);
            photometric ??= decoded.Photometric;
            StoredValuesArray.Normalise(decoded.Bytes, decoded.Layout);
            frames.Add(decoded.Bytes);
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
}
