using System.Text.Json;
using ServerlessMed.Testing;

namespace ServerlessMed.Inference.Tests;

/// <summary><c>smed embed</c> with encoders of the HAI-DEF family's shapes (NHWC inputs; CXR-like two outputs
/// 8×8×1376 and 32×768, Path-like 384, Derm-like 6144): shapes as declared, values equal to the graph evaluated without
/// ONNX Runtime (tests/tools/onnx_reference.py: a numpy interpreter, Debian's onnx 1.12 having no reference evaluator) on the same
/// preprocessed tensor (within 1e-5), identical across runs and batch sizes.</summary>
public sealed class EmbedCommandTests
{
    [Theory]
    [InlineData("cxr-like", "pydicom/CT_small.dcm")]
    [InlineData("path-like", "pydicom/SC_rgb_small_odd.dcm")]
    [InlineData("derm-like", "pydicom/SC_rgb_small_odd.dcm")]
    public void Embeddings_have_the_declared_shapes_and_match_the_onnx_reference_evaluator(string model, string rel)
    {
        var folder = Path.Combine(TestModels.Folder, "encoders", model);
        var outDir = Directory.CreateTempSubdirectory("smed-embed").FullName;
        var r = Smed.Run(["embed", Corpus.Get(rel).FullPath, outDir, "--model", folder, "--save-input", "--provider", "Cpu"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("\"embedded\":1", r.StdOut, StringComparison.Ordinal);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "model.json"))).RootElement;
        var input = Directory.GetFiles(outDir, "*.input.npy").Single();
        var sidecar = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(outDir, "*.json").Single())).RootElement;
        var described = sidecar.GetProperty("embeddings").EnumerateArray().ToList();
        Assert.Equal(manifest.GetProperty("outputs").GetArrayLength(), described.Count);
        Assert.All(described, d => Assert.Equal(64, d.GetProperty("modelSha256").GetString()!.Length));
        foreach (var output in manifest.GetProperty("outputs").EnumerateArray())
        {
            var name = output.GetProperty("name").GetString()!;
            var npy = Directory.GetFiles(outDir, $"*_{name}.npy").Single();
            var d = described.Single(x => x.GetProperty("output").GetString() == name);
            Assert.Equal(Path.GetFileName(npy), d.GetProperty("file").GetString());
            Assert.Equal([1, .. output.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())], d.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            var c = ExternalTool.Run("/usr/bin/python3", [Path.Combine(Corpus.RepoRoot, "tests", "tools", "onnx_reference.py"), Path.Combine(folder, "model.onnx"), "image", input, name, npy]);
            Assert.True(c.ExitCode == 0, $"{model}/{name}: {c.StdOut}{c.StdErr}");
        }
    }

    [Fact]
    public void Multi_frame_embeddings_are_identical_across_runs_and_batch_sizes()
    {
        var folder = Path.Combine(TestModels.Folder, "encoders", "cxr-like");
        var src = Corpus.Get("pydicom-data/emri_small.dcm").FullPath;
        var a = Directory.CreateTempSubdirectory("smed-embed-a").FullName;
        var b = Directory.CreateTempSubdirectory("smed-embed-b").FullName;
        Assert.Equal(0, Smed.Run(["embed", src, a, "--model", folder, "--batch", "1", "--provider", "Cpu"]).ExitCode);
        Assert.Equal(0, Smed.Run(["embed", src, b, "--model", folder, "--batch", "8", "--provider", "Cpu"]).ExitCode);
        var files = Directory.GetFiles(a, "*.npy").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count); // 2 outputs, 10 frames each
        Assert.All(files, f => Assert.Equal(10, Imaging.NpyReader.Float32(File.ReadAllBytes(Path.Combine(a, f!)), f!).Shape[0]));
        foreach (var f in files)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f!)), File.ReadAllBytes(Path.Combine(b, f!)));
        }
    }

    [Fact]
    public void A_model_folder_that_does_not_describe_its_model_is_one_line_naming_the_field()
    {
        var src = Path.Combine(TestModels.Folder, "encoders", "path-like");
        var folder = Directory.CreateTempSubdirectory("smed-badmodel").FullName;
        foreach (var f in Directory.GetFiles(src))
        {
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        }

        var manifest = Path.Combine(folder, "model.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"name\": \"image\"", "\"name\": \"input_1\"", StringComparison.Ordinal));
        var r = Smed.Run(["embed", Corpus.Get("pydicom/SC_rgb_small_odd.dcm").FullPath, Path.Combine(folder, "out"), "--model", folder]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("$.input.name: 'input_1'", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal); // a message, not a stack trace
    }
}
