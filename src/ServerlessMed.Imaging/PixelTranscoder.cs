using System.Buffers.Binary;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Imaging;

/// <summary>Rewrites an instance's pixel data in another transfer syntax: decompression to native (explicit VR little
/// endian and the other native syntaxes) and lossless compression to RLE Lossless (our encoder, PS3.5 Annex G),
/// JPEG-LS Lossless (CharLS) and JPEG 2000 Lossless (OpenJPEG). Stored values are kept exactly; colour frames decoded
/// from JPEG or JPEG 2000 become RGB with planar configuration 0.</summary>
public static class PixelTranscoder
{
    private static readonly Dictionary<string, IFrameEncoder> Encoders = new(StringComparer.Ordinal)
    {
        [DicomTransferSyntax.RLELossless.Uid] = new RleFrameEncoder(),
        [DicomTransferSyntax.JPEGLSLossless.Uid] = new Codecs.CharLsCodec(),
        [DicomTransferSyntax.JPEG2000Lossless.Uid] = new Codecs.OpenJpegCodec(),
    };

    /// <summary>Transfer syntaxes <see cref="Transcode"/> can write besides the native ones.</summary>
    public static IReadOnlyCollection<string> EncodableSyntaxes => Encoders.Keys;

    /// <param name="file">The instance; its pixel data and transfer syntax are replaced.</param>
    /// <param name="target">The transfer syntax to write.</param>
    /// <param name="editFrame">Called with each frame's stored values (interleaved, normalised, in the layout given)
    /// before they are encoded, to change them in place (burned-in text masking); frames are then always rewritten.</param>
    /// <param name="lossyYbrToRgb">Write frames of a lossy colour JPEG, which decode to YCbCr, as RGB (what dcmdjpeg does
    /// by default): for an object that must stay valid in its IOD, which rarely allows native YBR_FULL. Off, the stored
    /// YCbCr values are kept as YBR_FULL (what dcmdjpeg +cn does).</param>
    public static void Transcode(DicomFile file, DicomTransferSyntax target, Action<byte[], PixelDataInfo>? editFrame = null, bool lossyYbrToRgb = false)
    {
        var ds = file.Dataset;
        var hasPixels = ds.Contains(DicomTag.PixelData);
        if (!hasPixels || (file.TransferSyntax.IsNative && target.IsNative && editFrame is null))
        {
            file.TransferSyntax = target; // the writer converts byte order and VR explicitness itself
            return;
        }

        IFrameEncoder? encoder = null;
        if (!target.IsNative && !Encoders.TryGetValue(target.Uid, out encoder))
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"encoding to {target.Name} is not supported (native syntaxes, RLE Lossless, JPEG-LS Lossless and JPEG 2000 Lossless are)");
        }

        var info = PixelDataInfo.FromDataset(ds);
        if (info.BitsAllocated is not (8 or 16 or 32) || info.IsFloat)
        {
            throw new PixelDataException("unsupported-transfer-syntax", $"transcoding {info.BitsAllocated}-bit pixel data is not supported");
        }

        var frames = new List<byte[]>(info.NumberOfFrames);
        string? photometric = null;
        PixelDataInfo? layout = null;
        for (var f = 0; f < info.NumberOfFrames; f++)
        {
            var decoded = FrameDecoder.DecodeStored(ds, file.TransferSyntax, f);
            StoredValuesArray.Normalise(decoded.Bytes, decoded.Layout);
            var framePhotometric = decoded.Photometric ?? decoded.Layout.Photometric;
            if (lossyYbrToRgb && file.TransferSyntax.IsLossy && decoded.Layout.BitsAllocated == 8 && decoded.Layout.SamplesPerPixel == 3 && framePhotometric.StartsWith("YBR_FULL", StringComparison.Ordinal))
            {
                YbrFullToRgb.Convert(decoded.Bytes);
                framePhotometric = "RGB";
            }

            photometric ??= framePhotometric;
            layout ??= decoded.Layout with { Photometric = framePhotometric };
            editFrame?.Invoke(decoded.Bytes, layout);
            frames.Add(encoder is null ? decoded.Bytes : encoder.EncodeFrame(decoded.Bytes, layout));
        }

        photometric = encoder?.EncodedPhotometric(layout!) ?? photometric;
        if (photometric is not null)
        {
            ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, photometric);
        }

        if (info.SamplesPerPixel > 1)
        {
            ds.AddOrUpdate<ushort>(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        if (encoder is null)
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
                sequence.Fragments.Add(DicomBuffer.FromBytes(f));
            }

            ds.AddOrUpdate(sequence);
        }

        file.TransferSyntax = target;
    }

    private sealed class RleFrameEncoder : IFrameEncoder
    {
        public byte[] EncodeFrame(byte[] samples, PixelDataInfo layout) => RleEncoder.EncodeFrame(samples, layout);
    }
}
