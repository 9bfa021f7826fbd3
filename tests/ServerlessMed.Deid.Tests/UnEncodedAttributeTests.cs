using System.Text;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Local;

namespace ServerlessMed.Deid.Tests;

/// <summary>Attributes written as UN (explicit VR, defined length) reach the de-identifier with their real VR and
/// structure, because the reader decodes them (PS3.5 6.2.2): identifiers inside UN sequences are de-identified,
/// references survive as sequences DCMTK reads, UIDs stored as UN identify the instance, and what cannot be decoded is
/// removed, never copied. Every case runs through <see cref="DeidBatch"/>, whose inputs keep values over 4 KiB as
/// references into the file.</summary>
public sealed class UnEncodedAttributeTests
{
    private static readonly TenantKey Key = new(Enumerable.Range(40, 32).Select(i => (byte)i).ToArray());

    private const string SopInstance = "1.2.826.0.1.3680043.9.7433.17.1.3";
    private const string Study = "1.2.826.0.1.3680043.9.7433.17.1.1";
    private const string Series = "1.2.826.0.1.3680043.9.7433.17.1.2";

    [Fact]
    public void An_instance_whose_UIDs_and_names_are_UN_is_deidentified_not_quarantined()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.7"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.SOPInstanceUID, SopInstance));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.PatientName, "Doe^Johnathan"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.PatientID, "MRN-4417-22"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.StudyInstanceUID, Study));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.SeriesInstanceUID, Series));
        var (output, bytes) = RunBatch(ds);

        var mapper = new KeyedMapper(Key, DeidPolicy.Default);
        Assert.Equal(mapper.MapUid(SopInstance), output.GetString(DicomTag.SOPInstanceUID));
        Assert.Equal(DicomVR.UI, output[DicomTag.SOPInstanceUID]!.ValueRepresentation);
        Assert.Equal("1.2.840.10008.5.1.4.1.1.7", output.GetString(DicomTag.SOPClassUID));
        AssertAbsent(bytes, "Doe^Johnathan", "MRN-4417-22", SopInstance, Study, Series);
    }

    /// <summary>A Referenced Image Sequence of 2 items and one of 60 (over the 4 KiB deferral threshold), both UN with
    /// a defined length, each item holding identifiers next to its references.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(60)]
    public void Identifiers_inside_a_UN_sequence_are_deidentified_and_its_references_survive(int items)
    {
        var ds = Instance();
        var references = Enumerable.Range(1, items).Select(i => $"{Series}.{i}").ToArray();
        ds.AddOrUpdate(UnEncoded.Sequence(DicomTag.ReferencedImageSequence, [.. references.Select(ReferencedImageWithIdentifiers)]));
        var (output, bytes) = RunBatch(ds);

        var sq = Assert.IsType<DicomSequence>(output[DicomTag.ReferencedImageSequence]);
        Assert.Equal(items, sq.Items.Count);
        var mapper = new KeyedMapper(Key, DeidPolicy.Default);
        Assert.Equal(references.Select(mapper.MapUid), sq.Items.Select(i => i.GetString(DicomTag.ReferencedSOPInstanceUID)));
        AssertAbsent(bytes, "Saint Elsewhere Hospital", "Ehrlich^Victor", "159 Westphall Road", "555-0147", references[0]);

        // DCMTK reads the output, with the sequence's items (an opaque or empty one left it unable to).
        var path = Path.Combine(Path.GetTempPath(), $"smed-deid-un-{Guid.NewGuid():N}.dcm");
        try
        {
            File.WriteAllBytes(path, bytes);
            var dump = ExternalTool.Run("dcmdump", ["-q", path]);
            Assert.True(dump.ExitCode == 0 && dump.StdErr.Length == 0, dump.StdErr);
            Assert.Equal(items, dump.StdOut.Split('\n').Count(l => l.Contains("(0008,1155) UI", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void What_cannot_be_decoded_is_removed_even_when_the_policy_keeps_it()
    {
        var ds = Instance();
        ds.AddOrUpdate(new DicomElement(DicomTag.ReferencedImageSequence, DicomVR.UN, DicomBuffer.FromBytes(Encoding.ASCII.GetBytes("Roe^Richardson wrote this, no items"))));
        ds.AddOrUpdate(new DicomElement(DicomTag.InstitutionName, DicomVR.UN, DicomBuffer.FromBytes(Encoding.ASCII.GetBytes("Mercy\u0001General"))));
        ds.AddOrUpdate(new DicomElement(DicomTag.PhysicalDeltaX, DicomVR.UN, DicomBuffer.FromBytes(new byte[] { 1, 2, 3, 4, 5, 6 })));
        var policy = new DeidPolicy { Keep = ["ReferencedImageSequence", "InstitutionName", "PhysicalDeltaX"] };
        var (output, bytes) = RunBatch(ds, policy);

        Assert.False(output.Contains(DicomTag.ReferencedImageSequence));
        Assert.False(output.Contains(DicomTag.InstitutionName));
        Assert.False(output.Contains(DicomTag.PhysicalDeltaX));
        AssertAbsent(bytes, "Roe^Richardson", "Mercy");
    }

    private static DicomDataset Instance()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, SopInstance);
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, DicomVR.UI, Study);
        ds.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, Series);
        ds.AddOrUpdate(DicomTag.PatientName, DicomVR.PN, "Doe^Johnathan");
        return ds;
    }

    private static DicomDataset ReferencedImageWithIdentifiers(string uid)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTag.ReferencedSOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        item.AddOrUpdate(DicomTag.ReferencedSOPInstanceUID, DicomVR.UI, uid);
        item.AddOrUpdate(DicomTag.InstitutionName, DicomVR.LO, "Saint Elsewhere Hospital");
        item.AddOrUpdate(DicomTag.InstitutionAddress, DicomVR.ST, "159 Westphall Road, Boston; tel 555-0147");
        item.AddOrUpdate(DicomTag.OperatorsName, DicomVR.PN, "Ehrlich^Victor");
        return item;
    }

    /// <summary>The instance through a one-worker <see cref="DeidBatch"/>: it must be written, not quarantined.</summary>
    private static (DicomDataset Output, byte[] Bytes) RunBatch(DicomDataset ds, DeidPolicy? policy = null)
    {
        var root = Directory.CreateTempSubdirectory("smed-deid-un").FullName;
        try
        {
            var input = Path.Combine(root, "in.dcm");
            new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(input);
            var batch = new DeidBatch(new Deidentifier(Key, policy ?? DeidPolicy.Default), Path.Combine(root, "out"), Path.Combine(root, "q")) { Parallelism = 1 };
            var summary = batch.Run([input]);
            Assert.True(summary.Written == 1, string.Join("; ", batch.Problems.Select(p => p.Message)));
            var bytes = File.ReadAllBytes(Directory.GetFiles(Path.Combine(root, "out"), "*.dcm", SearchOption.AllDirectories).Single());
            return (DicomFile.Open(new MemoryStream(bytes)).Dataset, bytes);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void AssertAbsent(byte[] output, params string[] values)
    {
        foreach (var v in values)
        {
            Assert.True(output.AsSpan().IndexOf(Encoding.ASCII.GetBytes(v)) < 0, $"'{v}' is in the output");
        }
    }
}
