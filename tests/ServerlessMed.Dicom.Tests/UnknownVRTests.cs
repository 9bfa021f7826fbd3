using System.Text;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Dicom.Tests;

/// <summary>PS3.5 6.2.2 on reading: a public attribute written as UN (explicit VR, defined length) is read with its
/// dictionary VR, a sequence's bytes as implicit VR little endian items, a Private Creator as LO; bytes that are not
/// what the dictionary VR says stay UN and are marked undecodable, and the elements after them read on. Each case runs
/// on a seekable file (in place, with the values over the threshold deferred or not) and on a deflated dataset (an
/// inflating stream that cannot seek).</summary>
public sealed class UnknownVRTests
{
    public static TheoryData<string, int> Sources() => new()
    {
        { DicomTransferSyntax.ExplicitVRLittleEndian.Uid, 64 * 1024 },
        { DicomTransferSyntax.ExplicitVRLittleEndian.Uid, 8 }, // every value over 8 bytes a reference into the file
        { DicomTransferSyntax.DeflatedExplicitVRLittleEndian.Uid, 64 * 1024 },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public void Public_attributes_and_private_creators_encoded_as_UN_take_their_dictionary_VR(string ts, int threshold)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.7"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.SOPInstanceUID, "1.2.826.0.1.3680043.9.7433.1.1"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.PatientName, "Doe^John"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.Rows, [0x00, 0x02]));
        ds.AddOrUpdate(UnEncoded.Element(new DicomTag(0x0009, 0x0010), "ACME 1.0"));
        ds.AddOrUpdate(UnEncoded.Element(new DicomTag(0x0009, 0x1001), "private"));
        var read = RoundTrip(ds, ts, threshold, out _);

        Assert.Equal(DicomVR.UI, read[DicomTag.SOPClassUID]!.ValueRepresentation);
        Assert.Equal("1.2.826.0.1.3680043.9.7433.1.1", read.GetString(DicomTag.SOPInstanceUID));
        Assert.Equal(DicomVR.PN, read[DicomTag.PatientName]!.ValueRepresentation);
        Assert.Equal("Doe^John", read.GetString(DicomTag.PatientName));
        Assert.Equal(DicomVR.US, read[DicomTag.Rows]!.ValueRepresentation);
        Assert.Equal((ushort)512, read.GetValues<ushort>(DicomTag.Rows)[0]);
        Assert.Equal(DicomVR.LO, read[new DicomTag(0x0009, 0x0010)]!.ValueRepresentation);
        Assert.Equal("ACME 1.0", read.GetString(new DicomTag(0x0009, 0x0010)));
        Assert.Equal(DicomVR.UN, read[new DicomTag(0x0009, 0x1001)]!.ValueRepresentation);
        Assert.All(read.OfType<DicomElement>(), e => Assert.False(e.IsUndecodable, e.Tag.ToString()));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_sequence_encoded_as_UN_with_a_defined_length_is_read_as_its_items(string ts, int threshold)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, "1.2.3.4");
        ds.AddOrUpdate(UnEncoded.Sequence(DicomTag.ReferencedImageSequence, ReferencedImage("1.2.3.4.5"), ReferencedImage("1.2.3.4.6", withCode: true)));
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, "1.2.3.9"); // after the sequence: the reader must stand right after it
        var read = RoundTrip(ds, ts, threshold, out var file);

        var sq = Assert.IsType<DicomSequence>(read[DicomTag.ReferencedImageSequence]);
        Assert.Equal(2, sq.Items.Count);
        Assert.Equal("1.2.3.4.5", sq.Items[0].GetString(DicomTag.ReferencedSOPInstanceUID));
        Assert.Equal(DicomVR.UI, sq.Items[1][DicomTag.ReferencedSOPInstanceUID]!.ValueRepresentation);
        var code = Assert.IsType<DicomSequence>(sq.Items[1][DicomTag.PurposeOfReferenceCodeSequence]);
        Assert.Equal("121311", code.Items.Single().GetString(DicomTag.CodeValue));
        Assert.Equal("1.2.3.9", read.GetString(DicomTag.StudyInstanceUID));

        // Written back, DCMTK reads a real sequence with its items (an opaque or empty one is what it could not read).
        var output = Path.Combine(Path.GetTempPath(), $"smed-unsq-{Guid.NewGuid():N}.dcm");
        try
        {
            new DicomFile(read, DicomTransferSyntax.ExplicitVRLittleEndian).Save(output);
            var dump = ExternalTool.Run("dcmdump", ["+L", "-q", output]);
            Assert.True(dump.ExitCode == 0 && dump.StdErr.Length == 0, dump.StdErr);
            Assert.Matches(@"\(0008,1140\) SQ \(Sequence with (explicit|undefined) length", dump.StdOut);
            Assert.Contains("[1.2.3.4.6]", dump.StdOut, StringComparison.Ordinal);
            Assert.Contains("[121311]", dump.StdOut, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }

        GC.KeepAlive(file);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Bytes_that_are_not_the_dictionary_VR_stay_UN_marked_undecodable_and_the_rest_reads_on(string ts, int threshold)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, "1.2.3.4");
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.ReferencedImageSequence, Encoding.ASCII.GetBytes("Doe^John is not an item at all!!")));
        // Starts as an item, but its one element claims more than the item holds: parsed part-way, then abandoned.
        var overrun = new List<byte>();
        overrun.AddRange([0xFE, 0xFF, 0x00, 0xE0, 16, 0, 0, 0]);
        overrun.AddRange([0x10, 0x00, 0x10, 0x00, 40, 0, 0, 0]);
        overrun.AddRange(Encoding.ASCII.GetBytes("Roe^Jane"));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.OtherPatientIDsSequence, [.. overrun]));
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.PhysicalDeltaX, [1, 2, 3, 4, 5, 6])); // FD: not a whole number of 8-byte values
        ds.AddOrUpdate(UnEncoded.Element(DicomTag.InstitutionName, "Saint\u0001Mary"));
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, "1.2.3.9");
        var read = RoundTrip(ds, ts, threshold, out var file);

        foreach (var tag in new[] { DicomTag.ReferencedImageSequence, DicomTag.OtherPatientIDsSequence, DicomTag.PhysicalDeltaX, DicomTag.InstitutionName })
        {
            var e = Assert.IsType<DicomElement>(read[tag]);
            Assert.Equal(DicomVR.UN, e.ValueRepresentation);
            Assert.True(e.IsUndecodable, tag.ToString());
            Assert.True(((DicomElement)ds[tag]!).Buffer.GetMemory().Span.SequenceEqual(e.Buffer.GetMemory().Span), tag + " keeps its bytes");
        }

        Assert.Equal("1.2.3.9", read.GetString(DicomTag.StudyInstanceUID));
        Assert.Equal(4, file.Warnings.Count(w => w.Contains("is encoded as UN and is not a valid", StringComparison.Ordinal)));
        Assert.DoesNotContain(file.Warnings, w => w.Contains("Doe", StringComparison.Ordinal) || w.Contains("Roe", StringComparison.Ordinal));
    }

    [Fact]
    public void Sequences_inside_a_UN_sequence_are_read_as_well()
    {
        // Inside a UN sequence the encoding is implicit VR: a public sequence there is known by its tag, a private one
        // by its undefined length (our implicit VR writer gives it one).
        var inner = new DicomDataset();
        inner.AddOrUpdate(DicomTag.CodeValue, DicomVR.SH, "T-D0050");
        var item = new DicomDataset();
        item.AddOrUpdate(new DicomSequence(DicomTag.AnatomicRegionSequence, [inner]));
        item.AddOrUpdate(new DicomTag(0x0009, 0x0010), DicomVR.LO, "ACME 1.0");
        item.AddOrUpdate(new DicomSequence(new DicomTag(0x0009, 0x1001), [inner.Clone()]));
        var ds = new DicomDataset();
        ds.AddOrUpdate(UnEncoded.Sequence(DicomTag.ReferencedImageSequence, item));
        var read = RoundTrip(ds, DicomTransferSyntax.ExplicitVRLittleEndian.Uid, 64 * 1024, out _);
        var sq = Assert.IsType<DicomSequence>(read[DicomTag.ReferencedImageSequence]);
        var region = Assert.IsType<DicomSequence>(sq.Items.Single()[DicomTag.AnatomicRegionSequence]);
        Assert.Equal("T-D0050", region.Items.Single().GetString(DicomTag.CodeValue));
        var priv = Assert.IsType<DicomSequence>(sq.Items.Single()[new DicomTag(0x0009, 0x1001)]);
        Assert.Single(priv.Items);
    }

    private static DicomDataset ReferencedImage(string uid, bool withCode = false)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTag.ReferencedSOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        item.AddOrUpdate(DicomTag.ReferencedSOPInstanceUID, DicomVR.UI, uid);
        if (withCode)
        {
            var code = new DicomDataset();
            code.AddOrUpdate(DicomTag.CodeValue, DicomVR.SH, "121311");
            code.AddOrUpdate(DicomTag.CodingSchemeDesignator, DicomVR.SH, "DCM");
            code.AddOrUpdate(DicomTag.CodeMeaning, DicomVR.LO, "Localizer");
            item.AddOrUpdate(new DicomSequence(DicomTag.PurposeOfReferenceCodeSequence, [code]));
        }

        return item;
    }

    /// <summary>Writes the dataset in <paramref name="ts"/> to a temporary file and reads it back (the file is deleted
    /// once read: a deferred value is read through the handle the reader keeps).</summary>
    private static DicomDataset RoundTrip(DicomDataset ds, string ts, int threshold, out DicomFile file)
    {
        var path = Path.Combine(Path.GetTempPath(), $"smed-un-{Guid.NewGuid():N}.dcm");
        try
        {
            new DicomFile(ds, DicomTransferSyntax.Parse(ts)).Save(path);
            var bytes = File.ReadAllBytes(path);
            // Seekable: a memory stream (values over the threshold stay references into it); deflated: inflated as it goes.
            file = DicomFile.Open(new MemoryStream(bytes, writable: false), new DicomReaderOptions { SourceName = "un.dcm", LargeValueThreshold = threshold });
            return file.Dataset;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
