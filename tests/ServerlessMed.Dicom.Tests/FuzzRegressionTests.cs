using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Dicom.Tests;

/// <summary>Every input the fuzzer (bench/fuzz-dicom.sh) found crashing is kept in FuzzRegressions/ and must now
/// give a DicomException or be read, listed and written back.</summary>
public sealed class FuzzRegressionTests
{
    public static TheoryData<string> Inputs() =>
        [.. Directory.GetFiles(Path.Combine(Corpus.RepoRoot, "tests", "ServerlessMed.Dicom.Tests", "FuzzRegressions"), "*.bin").Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Fuzz_finding_is_handled(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Corpus.RepoRoot, "tests", "ServerlessMed.Dicom.Tests", "FuzzRegressions", name));
        var options = new DicomReaderOptions { LargeValueThreshold = 256, MaxSequenceDepth = 16, MaxValueLength = 16 * 1024 * 1024, SourceName = "fuzz" };
        try
        {
            var file = DicomFile.Open(new MemoryStream(bytes), options);
            _ = new DicomDumpFormatter().Format(file);
            _ = new DicomJsonWriter().Write(file.Dataset);
            using var output = new MemoryStream();
            file.Save(output);
            output.Position = 0;
            _ = DicomFile.Open(output, options);
        }
        catch (DicomException)
        {
        }
    }

    [Fact]
    public void Sixty_four_bit_values_keep_every_bit()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(new DicomElement(DicomTag.ExtendedOffsetTable, DicomVR.OV, DicomBuffer.FromBytes(BitConverter.GetBytes(ulong.MaxValue - 1))));
        Assert.Equal(ulong.MaxValue - 1, ds.GetValue<ulong>(DicomTag.ExtendedOffsetTable));
        Assert.Throws<DicomValueException>(() => ds.GetValue<int>(DicomTag.ExtendedOffsetTable));
    }
}
