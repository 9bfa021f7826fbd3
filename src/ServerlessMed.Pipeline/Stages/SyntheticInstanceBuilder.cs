using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Imaging;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>Which request, image, prompt and model an instance came from.</summary>
public sealed record SyntheticProvenance(string RequestId, int Index, string Prompt, string ModelId, string ModelHash);

/// <summary>A generated image as a Secondary Capture instance with Synthetic Data = YES, in the source's
/// (de-identified) study and patient, referencing its source; without a source (text-to-image from the command
/// line) in a study of its own. No clock values: the same request gives the same bytes.</summary>
public static class SyntheticInstanceBuilder
{
    public static DicomFile Build(DicomDataset? source, Image8 image, SyntheticProvenance p)
    {
        source ??= new DicomDataset();
        var requestId = p.RequestId;
        var index = p.Index;
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        ds.AddOrUpdate(DicomTag.ImageType, DicomVR.CS, "DERIVED", "SECONDARY");
        ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, DicomUID.SecondaryCaptureImageStorage);
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, DerivedUid(requestId, "instance", index));
        ds.AddOrUpdate(DicomTag.StudyDate, DicomVR.DA, source.GetSingleValueOrDefault(DicomTag.StudyDate, string.Empty));
        ds.AddOrUpdate(DicomTag.StudyTime, DicomVR.TM, source.GetSingleValueOrDefault(DicomTag.StudyTime, string.Empty));
        ds.AddOrUpdate(DicomTag.AccessionNumber, DicomVR.SH, string.Empty);
        ds.AddOrUpdate(DicomTag.Modality, DicomVR.CS, "OT");
        ds.AddOrUpdate(DicomTag.ConversionType, DicomVR.CS, "SYN");
        ds.AddOrUpdate(DicomTag.SyntheticData, DicomVR.CS, "YES");
        ds.AddOrUpdate(DicomTag.ReferringPhysicianName, DicomVR.PN, string.Empty);
        ds.AddOrUpdate(DicomTag.SeriesDescription, DicomVR.LO, "ServerlessMed synthetic images");
        var hash = p.ModelHash.Length > 12 ? p.ModelHash[..12] : p.ModelHash;
        ds.AddOrUpdate(DicomTag.DerivationDescription, DicomVR.ST, Truncate($"Synthetic image by latent diffusion model {p.ModelId} (sha256 {hash}), request {requestId} image {index}; prompt: {p.Prompt}", 1024));
        var sourceUid = source.GetSingleValueOrDefault(DicomTag.SOPInstanceUID, string.Empty);
        if (sourceUid.Length > 0)
        {
            var sourceItem = new DicomDataset();
            sourceItem.AddOrUpdate(DicomTag.ReferencedSOPClassUID, DicomVR.UI, source.GetSingleValueOrDefault(DicomTag.SOPClassUID, string.Empty));
            sourceItem.AddOrUpdate(DicomTag.ReferencedSOPInstanceUID, DicomVR.UI, sourceUid);
            ds.AddOrUpdate(new DicomSequence(DicomTag.SourceImageSequence, [sourceItem]));
        }

        ds.AddOrUpdate(DicomTag.PatientName, DicomVR.PN, source.GetSingleValueOrDefault(DicomTag.PatientName, "SYNTHETIC"));
        ds.AddOrUpdate(DicomTag.PatientID, DicomVR.LO, source.GetSingleValueOrDefault(DicomTag.PatientID, requestId));
        ds.AddOrUpdate(DicomTag.PatientBirthDate, DicomVR.DA, string.Empty);
        ds.AddOrUpdate(DicomTag.PatientSex, DicomVR.CS, string.Empty);
        ds.AddOrUpdate(DicomTag.PatientIdentityRemoved, DicomVR.CS, "YES");
        // Patient Identity Removed YES needs the method (type 1C): the source's, or what makes this one anonymous.
        ds.AddOrUpdate(DicomTag.DeidentificationMethod, DicomVR.LO, source.GetSingleValueOrDefault(DicomTag.DeidentificationMethod, "synthetic image, no source patient"));
        if (source.TryGetSequence(DicomTag.DeidentificationMethodCodeSequence, out var methods))
        {
            ds.AddOrUpdate(new DicomSequence(DicomTag.DeidentificationMethodCodeSequence, [.. methods.Items.Select(i => i.Clone())]));
        }
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, DicomVR.UI, source.GetSingleValueOrDefault(DicomTag.StudyInstanceUID, DerivedUid(requestId, "study", 0)));
        ds.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, DerivedUid(requestId, "series", 0));
        ds.AddOrUpdate(DicomTag.StudyID, DicomVR.SH, string.Empty);
        ds.AddOrUpdate<int>(DicomTag.SeriesNumber, DicomVR.IS, 9001);
        ds.AddOrUpdate(DicomTag.Laterality, DicomVR.CS, string.Empty);
        ds.AddOrUpdate<int>(DicomTag.InstanceNumber, DicomVR.IS, index + 1);
        ds.AddOrUpdate(DicomTag.PatientOrientation, DicomVR.CS, string.Empty);
        ds.AddOrUpdate(DicomTag.BurnedInAnnotation, DicomVR.CS, "NO");
        ds.AddOrUpdate<ushort>(DicomTag.SamplesPerPixel, DicomVR.US, (ushort)image.Channels);
        ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, image.Channels == 3 ? "RGB" : "MONOCHROME2");
        if (image.Channels == 3)
        {
            ds.AddOrUpdate<ushort>(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        ds.AddOrUpdate<ushort>(DicomTag.Rows, DicomVR.US, (ushort)image.Height);
        ds.AddOrUpdate<ushort>(DicomTag.Columns, DicomVR.US, (ushort)image.Width);
        ds.AddOrUpdate<ushort>(DicomTag.BitsAllocated, DicomVR.US, 8);
        ds.AddOrUpdate<ushort>(DicomTag.BitsStored, DicomVR.US, 8);
        ds.AddOrUpdate<ushort>(DicomTag.HighBit, DicomVR.US, 7);
        ds.AddOrUpdate<ushort>(DicomTag.PixelRepresentation, DicomVR.US, 0);
        ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OB, DicomBuffer.FromBytes(image.Pixels)));
        return new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian);
    }

    /// <summary>"2.25." + 128 bits of SHA-256 over the request id: stable across retries, unique per request.</summary>
    public static string DerivedUid(string requestId, string kind, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{requestId}/{kind}/{index}"));
        return "2.25." + new BigInteger(hash.AsSpan(0, 16), isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
