using System.IO.Compression;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Dicom.Tests;

/// <summary>A deflated dataset is read from an inflating stream that cannot tell its length: values are read into
/// arrays of their stated length when that is modest, grown with the bytes that arrive when it is not, and a value
/// that claims more than the stream holds is a truncation naming the source.</summary>
public sealed class DeflatedSourceTests
{
    [Theory]
    [InlineData(3_000)]
    [InlineData(5 << 20)] // over the exact-array limit: grown as it arrives
    public void Values_of_any_length_read_back_equal(int length)
    {
        var value = new byte[length];
        new Random(length).NextBytes(value);
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, "1.2.3");
        ds.AddOrUpdate(new DicomElement(new DicomTag(0x0009, 0x1001), DicomVR.OB, DicomBuffer.FromBytes(value)));
        ds.AddOrUpdate(new DicomTag(0x0009, 0x0010), DicomVR.LO, "SMED TEST");
        using var ms = new MemoryStream();
        new DicomFile(ds, DicomTransferSyntax.DeflatedExplicitVRLittleEndian).Save(ms);
        ms.Position = 0;
        var back = DicomFile.Open(ms);
        Assert.True(back.Dataset.TryGetElement(new DicomTag(0x0009, 0x1001), out var e));
        Assert.Equal(value, e.Buffer.GetMemory().ToArray());
    }

    [Theory]
    [InlineData(100_000)] // read into an exact array: the stream ends before it is full
    [InlineData(50 << 20)] // grown as it arrives: the stream ends first
    public void A_value_longer_than_the_inflated_rest_is_a_truncation(int claimed)
    {
        using var ms = new MemoryStream();
        var meta = new DicomFile(new DicomDataset().AddOrUpdate(DicomTag.SOPInstanceUID, "1.2.3"), DicomTransferSyntax.DeflatedExplicitVRLittleEndian);
        meta.Save(ms);
        var header = ms.ToArray();
        // Keep preamble and meta (the dataset starts after them); replace the dataset with one element that claims
        // `claimed` bytes and brings 10.
        var metaEnd = header.Length - DeflatedLength(header);
        using var rebuilt = new MemoryStream();
        rebuilt.Write(header, 0, metaEnd);
        using (var z = new DeflateStream(rebuilt, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write([0x09, 0x00, 0x01, 0x10, (byte)'O', (byte)'B', 0, 0]);
            z.Write(BitConverter.GetBytes((uint)claimed));
            z.Write(new byte[10]);
        }

        rebuilt.Position = 0;
        var e = Assert.Throws<DicomTruncatedException>(() => DicomFile.Open(rebuilt, new DicomReaderOptions { SourceName = "cut.dcm" }));
        Assert.Contains("cut.dcm", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Length of the deflated dataset at the end of a file we wrote: the bytes after the meta group.</summary>
    private static int DeflatedLength(byte[] file)
    {
        // Group 0002 starts at 132 with (0002,0000) UL 4 = its length after that element.
        var groupLength = BitConverter.ToInt32(file, 132 + 8);
        return file.Length - (132 + 12 + groupLength);
    }
}
