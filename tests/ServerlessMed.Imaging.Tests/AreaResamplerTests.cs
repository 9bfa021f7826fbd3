using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>Area resampling against the same filter written as matrices in numpy (tests/tools/area_reference.py):
/// integer and fractional factors, gray and RGB, down and up.</summary>
public sealed class AreaResamplerTests
{
    [Theory]
    [InlineData(512, 512, 1, 224, 224)] // fractional 2.2857: CXR to a Path-sized input
    [InlineData(300, 200, 3, 150, 100)] // exact halving, RGB
    [InlineData(97, 61, 1, 13, 7)] // odd sizes, mixed coverage
    [InlineData(20, 10, 3, 33, 17)] // upscale
    public void Equals_the_matrix_form_in_numpy(int width, int height, int channels, int newWidth, int newHeight)
    {
        var random = new Random(width * 31 + height);
        var src = new float[width * height * channels];
        for (var i = 0; i < src.Length; i++)
        {
            src[i] = (float)random.NextDouble();
        }

        var ours = AreaResampler.Resize(src, width, height, channels, newWidth, newHeight);
        var dir = Directory.CreateTempSubdirectory("smed-area-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "in.npy"), NpyWriter.Float32(src, [height, width, channels]));
        File.WriteAllBytes(Path.Combine(dir, "out.npy"), NpyWriter.Float32(ours, [newHeight, newWidth, channels]));
        var r = ExternalTool.Run("/usr/bin/python3", [Path.Combine(Corpus.RepoRoot, "tests", "tools", "area_reference.py"), Path.Combine(dir, "in.npy"), Path.Combine(dir, "out.npy"), newHeight.ToString(System.Globalization.CultureInfo.InvariantCulture), newWidth.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Directory.Delete(dir, recursive: true);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
    }

    [Fact]
    public void A_constant_image_stays_constant_and_sizes_are_checked()
    {
        var src = Enumerable.Repeat(0.25f, 37 * 23).ToArray();
        Assert.All(AreaResampler.Resize(src, 37, 23, 1, 10, 9), v => Assert.Equal(0.25f, v, 1e-6f));
        Assert.Throws<ArgumentException>(() => AreaResampler.Resize(src, 36, 23, 1, 10, 9));
    }
}
