using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary><c>smed generate</c> as a user runs it.</summary>
public sealed class GenerateCommandTests
{
    private static string[] Args(string outDir, params string[] extra) =>
        ["generate", "--model", TestModels.Diffusion, "--prompt", "a ct image of the chest", "--prompt", "lung:0.5", "--negative", "noise",
         "--scheduler", "dpm++2m", "--steps", "6", "--guidance", "4", "--seed", "9", "--count", "2", "--provider", "Cpu", "--out", outDir, .. extra];

    [Fact]
    public void Same_request_twice_gives_byte_identical_png_and_dicom()
    {
        var a = Path.Combine(Path.GetTempPath(), "smed-gen-a-" + Guid.NewGuid().ToString("N"));
        var b = Path.Combine(Path.GetTempPath(), "smed-gen-b-" + Guid.NewGuid().ToString("N"));
        var init = Corpus.Get("pydicom/MR_small.dcm").FullPath;
        var ra = Smed.Run(Args(a, "--init", init, "--strength", "0.7"));
        var rb = Smed.Run(Args(b, "--init", init, "--strength", "0.7"));
        Assert.True(ra.ExitCode == 0, ra.StdErr);
        Assert.True(rb.ExitCode == 0, rb.StdErr);
        Assert.Contains("\"images\":2", ra.StdOut, StringComparison.Ordinal);
        foreach (var file in new[] { "0.png", "1.png", "0.dcm", "1.dcm" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, file)), File.ReadAllBytes(Path.Combine(b, file)));
        }

        Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, "0.png")), File.ReadAllBytes(Path.Combine(a, "1.png")));
        Assert.True(File.Exists(Path.Combine(a, "request.json")));
    }

    [Theory]
    [InlineData("--scheduler", "heun", "scheduler 'heun' is not supported")]
    [InlineData("--steps", "0", "steps must be between 1 and 1000")]
    [InlineData("--strength", "1.5", "strength must be in (0, 1]")]
    public void Bad_parameters_are_one_line_and_exit_2(string option, string value, string expected)
    {
        var outDir = Path.Combine(Path.GetTempPath(), "smed-gen-bad-" + Guid.NewGuid().ToString("N"));
        string[] args = ["generate", "--model", TestModels.Diffusion, "--prompt", "x", "--out", outDir, option, value];
        if (option == "--strength")
        {
            args = [.. args, "--init", Corpus.Get("pydicom/CT_small.dcm").FullPath];
        }

        var r = Smed.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
