namespace ServerlessMed.Testing;

/// <summary>The tiny deterministic ONNX models of scripts/make-test-models.py, generated once per test run into
/// models/ when missing (needs Debian's python3-onnx and python3-numpy, which scripts/test.sh installs).</summary>
public static class TestModels
{
    private static readonly Lazy<string> Root = new(Ensure, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Folder => Root.Value;

    public static string Encoder => Path.Combine(Folder, "encoders", "tiny-gray");

    public static string Diffusion => Path.Combine(Folder, "diffusion", "tiny-sd");

    /// <summary>tiny-sd with float16 inputs/outputs and a float timestep.</summary>
    public static string DiffusionFp16 => Path.Combine(Folder, "diffusion", "tiny-sd-fp16");

    private static string Ensure()
    {
        var root = Path.Combine(Corpus.RepoRoot, "models");
        if (!File.Exists(Path.Combine(root, "diffusion", "tiny-sd", "model_index.json")) || !File.Exists(Path.Combine(root, "diffusion", "tiny-sd-fp16", "model_index.json")) || !File.Exists(Path.Combine(root, "encoders", "cxr-like", "model.json")) || !File.Exists(Path.Combine(root, "encoders", "tiny-gray", "model.json")))
        {
            var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "scripts", "make-test-models.py"), root]);
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException("scripts/make-test-models.py failed: " + r.StdErr);
            }
        }

        return root;
    }
}
