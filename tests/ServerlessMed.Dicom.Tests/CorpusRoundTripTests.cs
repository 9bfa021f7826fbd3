using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Dicom.Tests;

/// <summary>Every corpus file read, written and read again; checked by our comparison and by DCMTK's dcmdump.</summary>
public sealed class CorpusRoundTripTests
{
    public static TheoryData<string> WellFormedFiles() => [.. Corpus.WellFormed.Select(f => f.RelativePath)];

    public static TheoryData<string> MalformedFiles() => [.. Corpus.Malformed.Select(f => f.RelativePath)];

    [Theory]
    [MemberData(nameof(WellFormedFiles))]
    public void Written_file_reads_back_identical(string relativePath)
    {
        var file = DicomFile.Open(Corpus.Get(relativePath).FullPath);
        var rewritten = DicomFile.Open(WriteTemp(file, file.TransferSyntax));
        Assert.Empty(DicomDatasetComparer.Differences(file.Dataset, rewritten.Dataset));
        Assert.Equal(file.TransferSyntax.Uid, rewritten.TransferSyntax.Uid);
    }

    [Theory]
    [MemberData(nameof(WellFormedFiles))]
    public void Native_files_survive_every_native_transfer_syntax(string relativePath)
    {
        var file = DicomFile.Open(Corpus.Get(relativePath).FullPath);
        if (file.Dataset[DicomTag.PixelData] is DicomFragmentSequence)
        {
            // Compressed pixel data cannot change syntax without a codec; writing must say so, not corrupt it.
            file.TransferSyntax = DicomTransferSyntax.ExplicitVRLittleEndian;
            Assert.Throws<DicomException>(() => WriteTemp(file, DicomTransferSyntax.ExplicitVRLittleEndian));
            return;
        }

        foreach (var ts in new[] { DicomTransferSyntax.ExplicitVRLittleEndian, DicomTransferSyntax.ExplicitVRBigEndian, DicomTransferSyntax.DeflatedExplicitVRLittleEndian, DicomTransferSyntax.ImplicitVRLittleEndian })
        {
            var back = DicomFile.Open(WriteTemp(file, ts));
            Assert.Equal(ts.Uid, back.TransferSyntax.Uid);
            var diffs = DicomDatasetComparer.Differences(file.Dataset, back.Dataset);
            Assert.True(diffs.Count == 0, $"{ts.Name}: {string.Join("; ", diffs.Take(5))}");
        }
    }

    [Theory]
    [MemberData(nameof(WellFormedFiles))]
    public void Dcmdump_agrees_on_every_element_outside_group_0002(string relativePath)
    {
        var source = Corpus.Get(relativePath).FullPath;
        var file = DicomFile.Open(source);
        var output = WriteTemp(file, file.TransferSyntax);
        Assert.Equal(Dcmdump.NormalizedDataset(source), Dcmdump.NormalizedDataset(output));
    }

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void Malformed_files_fail_with_a_located_DicomFormatException_or_read_with_warnings(string relativePath)
    {
        var path = Corpus.Get(relativePath).FullPath;
        DicomFile? file = null;
        var e = Record.Exception(() => file = DicomFile.Open(path));
        if (e is null)
        {
            // "Read what can be read": allowed only when the reader says what it tolerated.
            Assert.NotEmpty(file!.Warnings);
            return;
        }

        Assert.IsAssignableFrom<DicomFormatException>(e);
        Assert.Contains(Path.GetFileName(path), e.Message, StringComparison.Ordinal);
        Assert.True(((DicomFormatException)e).Offset >= 0, "the error names a byte offset");
    }

    [Fact]
    public void Malformed_file_that_lies_about_its_encoding_is_read_with_a_warning()
    {
        // SC_rgb_jpeg.dcm declares explicit VR in its meta but is implicit VR; pydicom reads it, so do we.
        var file = DicomFile.Open(Corpus.Get("pydicom/SC_rgb_jpeg.dcm").FullPath);
        Assert.Contains(file.Warnings, w => w.Contains("implicit", StringComparison.Ordinal));
        Assert.Equal("RGB", file.Dataset.GetString(DicomTag.PhotometricInterpretation));
    }

    [Fact]
    public void Large_values_are_not_loaded()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom-data/emri_small.dcm").FullPath, new DicomReaderOptions { LargeValueThreshold = 1024 });
        Assert.True(file.Dataset.TryGetElement(DicomTag.PixelData, out var pixels));
        Assert.False(pixels.Buffer.IsLoaded);
        Assert.Equal(64 * 64 * 2 * 10, pixels.Length);
    }

    [Fact]
    public void Non_seekable_streams_are_read()
    {
        var path = Corpus.Get("pydicom/CT_small.dcm").FullPath;
        using var pipe = new NonSeekableStream(File.OpenRead(path));
        var file = DicomFile.Open(pipe);
        Assert.Empty(DicomDatasetComparer.Differences(DicomFile.Open(path).Dataset, file.Dataset));
    }

    [Fact]
    public void Header_only_parse_stops_before_pixel_data()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom/CT_small.dcm").FullPath, new DicomReaderOptions { StopAtTag = DicomTag.PixelData });
        Assert.False(file.Dataset.Contains(DicomTag.PixelData));
        Assert.True(file.Dataset.Contains(DicomTag.Rows));
    }

    [Fact]
    public void Not_dicom_is_rejected_clearly()
    {
        var path = Path.Combine(Path.GetTempPath(), "smed-not-dicom-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(path, "hello, this is a text file and not a DICOM file at all");
        var e = Assert.Throws<DicomFormatException>(() => DicomFile.Open(path));
        Assert.Contains("not DICOM", e.Message, StringComparison.Ordinal);
        File.Delete(path);
    }

    private static string WriteTemp(DicomFile file, DicomTransferSyntax ts)
    {
        var path = Path.Combine(Path.GetTempPath(), "smed-rt-" + Guid.NewGuid().ToString("N") + ".dcm");
        file.TransferSyntax = ts;
        file.Save(path);
        return path;
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 777));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
