using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary><c>smed pixels</c> writes exactly pydicom's pixel_array (dtype, shape and values) for what Debian's
/// pydicom decodes on its own: native syntaxes (signed, multi-frame, RGB, planar, big endian) and RLE;
/// <c>smed preview</c> writes a PNG an independent checker reads.</summary>
public sealed class PixelsCommandTests
{
    [Theory]
    [InlineData("pydicom/CT_small.dcm", null)]
    [InlineData("pydicom/MR_small_bigendian.dcm", null)]
    [InlineData("pydicom-data/emri_small.dcm", null)]
    [InlineData("pydicom-data/emri_small.dcm", 3)]
    [InlineData("pydicom/SC_rgb_small_odd.dcm", null)]
    [InlineData("pydicom/MR_small_RLE.dcm", null)]
    [InlineData("pydicom/image_dfl.dcm", null)]
    public void Stored_values_equal_pydicom_pixel_array(string rel, int? frame)
    {
        var src = Corpus.Get(rel).FullPath;
        var npy = Path.Combine(Path.GetTempPath(), $"smed-px-{Guid.NewGuid():N}.npy");
        string[] args = frame is { } f ? ["pixels", src, npy, "--frame", f.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["pixels", src, npy];
        var r = Smed.Run(args);
        Assert.True(r.ExitCode == 0, r.StdErr);
        string[] check = frame is { } g ? [Path.Combine(Corpus.RepoRoot, "tests", "tools", "compare_npy.py"), src, npy, g.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [Path.Combine(Corpus.RepoRoot, "tests", "tools", "compare_npy.py"), src, npy];
        var c = ExternalTool.Run("/usr/bin/python3", check);
        Assert.True(c.ExitCode == 0, rel + ": " + c.StdOut + c.StdErr);
    }

    [Fact]
    public void Preview_is_a_png_and_errors_name_the_file_and_the_problem()
    {
        var png = Path.Combine(Path.GetTempPath(), $"smed-pv-{Guid.NewGuid():N}.png");
        var r = Smed.Run(["preview", Corpus.Get("pydicom/CT_small.dcm").FullPath, png]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var c = ExternalTool.Run("/usr/bin/python3", [Path.Combine(Corpus.RepoRoot, "tests", "tools", "png_check.py"), png]);
        Assert.True(c.ExitCode == 0, c.StdOut + c.StdErr);

        var bad = Smed.Run(["pixels", Corpus.Get("pydicom/CT_small.dcm").FullPath, png + ".npy", "--frame", "5"]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("CT_small.dcm: bad-frame", bad.StdErr, StringComparison.Ordinal);
    }
}
