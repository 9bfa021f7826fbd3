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

    public static TheoryData<string, string> LosslessTargets()
    {
        string[] files =
        [
            "pydicom/CT_small.dcm", // signed 16-bit
            "pydicom/MR_small_bigendian.dcm",
            "pydicom-data/emri_small.dcm", // 10 frames
            "pydicom/SC_rgb_small_odd.dcm", // RGB 3x3
            "pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm", // 4:2:2 YBR JPEG, decoded to RGB first
            "pydicom/JPGExtended.dcm", // 12-bit DCT JPEG
            "pydicom/J2K_pixelrep_mismatch.dcm", // signed 13-bit in 16
        ];
        var data = new TheoryData<string, string>();
        foreach (var f in files)
        {
            data.Add(f, "1.2.840.10008.1.2.4.80");
            data.Add(f, "1.2.840.10008.1.2.4.90");
        }

        return data;
    }

    /// <summary>JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG) lossless output, decompressed by tools that do not share our
    /// code path (DCMTK's dcmdjpls with its own JPEG-LS implementation; GDCM's gdcmconv), equals the source's stored values.</summary>
    [Theory]
    [MemberData(nameof(LosslessTargets))]
    public void Lossless_output_is_decoded_by_independent_tools_to_the_original_values(string rel, string syntax)
    {
        var src = Corpus.Get(rel).FullPath;
        var tmp = Directory.CreateTempSubdirectory("smed-lossless").FullName;
        var npy = Path.Combine(tmp, "ours.npy");
        var encoded = Path.Combine(tmp, "encoded.dcm");
        var back = Path.Combine(tmp, "back.dcm");
        Assert.Equal(0, Smed.Run(["pixels", src, npy]).ExitCode);
        var r = Smed.Run(["convert", src, encoded, "-t", syntax]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains(syntax, ExternalTool.Run("dcmdump", ["-q", "+P", "0002,0010", "-Un", encoded]).StdOut, StringComparison.Ordinal);
        var d = syntax.EndsWith(".80", StringComparison.Ordinal) ? ExternalTool.Run("dcmdjpls", [encoded, back]) : ExternalTool.Run("gdcmconv", ["--raw", encoded, back]);
        Assert.True(d.ExitCode == 0, d.StdErr);
        var c = ExternalTool.Run("/usr/bin/python3", [Compare, back, npy]);
        Assert.True(c.ExitCode == 0, $"{rel} -> {syntax}: {c.StdOut}{c.StdErr}");
        if (rel.Contains("rgb_small", StringComparison.Ordinal) && syntax.EndsWith(".90", StringComparison.Ordinal))
        {
            Assert.Contains("YBR_RCT", ExternalTool.Run("dcmdump", ["-q", "+P", "0028,0004", encoded]).StdOut, StringComparison.Ordinal); // reversible colour transform, labelled
        }

        Directory.Delete(tmp, recursive: true);
    }

    [Fact]
    public void Thirty_two_bit_samples_are_refused_by_the_lossless_jpeg_encoders_naming_the_reason()
    {
        var tmp = Path.Combine(Path.GetTempPath(), $"smed-32-{Guid.NewGuid():N}.dcm");
        var r = Smed.Run(["convert", Corpus.Get("pydicom/SC_rgb_rle_32bit_2frame.dcm").FullPath, tmp, "-t", "1.2.840.10008.1.2.4.80"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("JPEG-LS codes 2 to 16 bits", r.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp));
    }
}
