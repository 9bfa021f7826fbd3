using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary><c>smed convert</c> transcoding, checked by independent readers: decompressing every compressed corpus
/// file we decode gives a native file whose pydicom pixel_array equals our decoded stored values; RLE Lossless written
/// by our encoder, decompressed by DCMTK's dcmdrle, gives back the original values exactly.</summary>
public sealed class TranscodeTests
{
    private static readonly string Compare = Path.Combine(Corpus.RepoRoot, "tests", "tools", "compare_npy.py");

    public static TheoryData<string> CompressedFiles() =>
    [
        .. Corpus.WellFormed.Where(f => f.BitsAllocated.Length > 0 && f.TransferSyntaxUid is "1.2.840.10008.1.2.5" or "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70"
                or "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" or "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" or "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.203")
            .Where(f => f.RelativePath != "pydicom/JPEG2000-embedded-sequence-delimiter.dcm")
            .Select(f => f.RelativePath),
    ];

    [Theory]
    [MemberData(nameof(CompressedFiles))]
    public void Decompressed_output_holds_exactly_the_decoded_values(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var tmp = Directory.CreateTempSubdirectory("smed-tx").FullName;
        var npy = Path.Combine(tmp, "ours.npy");
        var native = Path.Combine(tmp, "native.dcm");
        var p = Smed.Run(["pixels", src, npy]);
        Assert.True(p.ExitCode == 0, p.StdErr);

        var r = Smed.Run(["convert", src, native, "-t", "1.2.840.10008.1.2.1"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var c = ExternalTool.Run("/usr/bin/python3", [Compare, native, npy]);
        Assert.True(c.ExitCode == 0, $"{rel}: {c.StdOut}{c.StdErr}");
    }

    [Theory]
    [InlineData("pydicom/CT_small.dcm")]
    [InlineData("pydicom/MR_small_bigendian.dcm")]
    [InlineData("pydicom-data/emri_small.dcm")]
    [InlineData("pydicom/SC_rgb_small_odd.dcm")]
    [InlineData("pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm")]
    public void Rle_written_by_us_is_decoded_by_dcmdrle_to_the_original_values(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var tmp = Directory.CreateTempSubdirectory("smed-rle").FullName;
        var npy = Path.Combine(tmp, "ours.npy");
        var rle = Path.Combine(tmp, "rle.dcm");
        var back = Path.Combine(tmp, "back.dcm");
        Assert.Equal(0, Smed.Run(["pixels", src, npy]).ExitCode);
        var r = Smed.Run(["convert", src, rle, "-t", "1.2.840.10008.1.2.5"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var d = ExternalTool.Run("dcmdrle", [rle, back]);
        Assert.True(d.ExitCode == 0, d.StdErr);
        var c = ExternalTool.Run("/usr/bin/python3", [Compare, back, npy]);
        Assert.True(c.ExitCode == 0, $"{rel}: {c.StdOut}{c.StdErr}");
    }
}
