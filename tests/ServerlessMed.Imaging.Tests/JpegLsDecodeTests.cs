using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>JPEG-LS frames decoded through CharLS against DCMTK's dcmdjpls (its own JPEG-LS implementation; GDCM's gdcmconv where DCMTK refuses a file) on the
/// same files: lossless and near-lossless alike must give identical stored values (both decoders reconstruct the
/// same samples the encoder's bound allowed).</summary>
public sealed class JpegLsDecodeTests
{
    public static TheoryData<string> JpegLsFiles() =>
    [
        .. Corpus.WellFormed.Where(f => f.TransferSyntaxUid is "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81").Select(f => f.RelativePath),
    ];

    [Theory]
    [MemberData(nameof(JpegLsFiles))]
    public void Frames_are_identical_to_dcmdjpls(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var reference = Path.Combine(Path.GetTempPath(), "smed-djpls-" + Guid.NewGuid().ToString("N") + ".dcm");
        var r = ExternalTool.Run("dcmdjpls", [src, reference]);
        if (r.ExitCode != 0)
        {
            // DCMTK refuses some valid streams (pydicom-data's 7-bit JLSL_08_07_0_1F); GDCM's decoder is the reference there.
            var g = ExternalTool.Run("gdcmconv", ["--raw", src, reference]);
            Assert.True(g.ExitCode == 0, r.StdErr + g.StdErr);
        }
        ReferenceFrames.AssertMatch(rel, src, reference, maxDifference: 0);
    }

    [Fact]
    public void Planar_samples_are_interleaved()
    {
        byte[] planar = [1, 2, 3, 10, 20, 30, 100, 200, 255];
        Assert.Equal([1, 10, 100, 2, 20, 200, 3, 30, 255], Codecs.CharLsCodec.Interleave(planar, 3, 3, 1));
    }
}
