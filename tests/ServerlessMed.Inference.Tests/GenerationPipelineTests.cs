using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Testing;

namespace ServerlessMed.Inference.Tests;

/// <summary>The diffusion pipeline on the tiny test model (real ORT sessions with optimum's input/output names).</summary>
public sealed class GenerationPipelineTests : IDisposable
{
    private static readonly OnnxSessionFactory Factory = new(new OnnxSessionOptions());
    private readonly DiffusionModel _model = new(TestModels.Diffusion, Factory);

    public void Dispose() => _model.Dispose();

    private byte[][] Pngs(GenerationRequest request, GenerationTimings? timings = null) =>
        [.. new DiffusionPipeline(_model).Generate(request, timings).Select(PngWriter.Encode)];

    private static GenerationRequest Request(params string[] prompts) => new() { Prompts = [.. prompts.Select(WeightedPrompt.Parse)], Steps = 6, GuidanceScale = 4f, Seed = 11 };

    [Fact]
    public void Images_do_not_depend_on_how_they_are_batched()
    {
        var request = Request("a ct image of the chest") with { Count = 3, Scheduler = "euler-a" };
        var one = Pngs(request with { ImagesPerBatch = 1 });
        var three = Pngs(request with { ImagesPerBatch = 3 });
        Assert.Equal(3, one.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(one[i], three[i]);
        }

        Assert.NotEqual(one[0], one[1]);
    }

    [Fact]
    public void Prompt_weights_mix_conditions_and_a_single_prompt_ignores_its_weight()
    {
        var even = Pngs(Request("a ct image", "chest:1"))[0];
        var skewed = Pngs(Request("a ct image:3", "chest:1"))[0];
        Assert.NotEqual(even, skewed);
        Assert.Equal(Pngs(Request("a ct image"))[0], Pngs(Request("a ct image:2.5"))[0]);
    }

    [Fact]
    public void Negative_prompt_acts_only_under_guidance()
    {
        var request = Request("a ct image of the head");
        Assert.NotEqual(Pngs(request)[0], Pngs(request with { NegativePrompt = "noise" })[0]);
        var unguided = request with { GuidanceScale = 1f };
        var timings = new GenerationTimings();
        Assert.Equal(Pngs(unguided, timings)[0], Pngs(unguided with { NegativePrompt = "noise" })[0]);
        Assert.Equal(6, timings.UnetCalls);
    }

    [Theory]
    [InlineData("ddim", 1.0f, 10)]
    [InlineData("ddim", 0.5f, 5)]
    [InlineData("euler", 0.3f, 3)]
    [InlineData("dpm++2m-karras", 0.75f, 7)]
    public void Image_to_image_runs_the_last_strength_share_of_the_schedule(string scheduler, float strength, int calls)
    {
        var init = new Image8(32, 32, 1, [.. Enumerable.Range(0, 32 * 32).Select(i => (byte)(i % 251))]);
        var timings = new GenerationTimings();
        var request = Request("a ct image") with { Steps = 10, Scheduler = scheduler, InitImage = init, Strength = strength };
        var a = Pngs(request, timings)[0];
        Assert.Equal(calls, timings.UnetCalls);
        Assert.True(timings.VaeEncoder > TimeSpan.Zero);
        Assert.Equal(a, Pngs(request)[0]);
        Assert.NotEqual(a, Pngs(request with { InitImage = new Image8(32, 32, 1, new byte[32 * 32]) })[0]);
    }

    public static TheoryData<string> SchedulerNames() => [.. SchedulerFactory.Names];

    [Theory]
    [MemberData(nameof(SchedulerNames))]
    public void Every_scheduler_runs_the_pipeline_reproducibly(string scheduler)
    {
        var request = Request("a mr image of the brain") with { Scheduler = scheduler, Steps = 5 };
        var a = Pngs(request);
        Assert.Equal(a[0], Pngs(request)[0]);
        Assert.NotEqual(a[0], Pngs(request with { Seed = 12 })[0]);
    }

    [Fact]
    public void Float16_exports_with_a_float_timestep_are_read_from_the_files_and_run()
    {
        using var fp16 = new DiffusionModel(TestModels.DiffusionFp16, Factory);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, fp16.SampleType);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16, fp16.HiddenType);
        Assert.Equal(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, fp16.TimestepType);
        var pipeline = new DiffusionPipeline(fp16);
        var request = Request("a ct image") with { Scheduler = "euler", Count = 2, ImagesPerBatch = 2 };
        var a = pipeline.Generate(request).Select(PngWriter.Encode).ToList();
        Assert.Equal(a[1], PngWriter.Encode(pipeline.Generate(request with { Count = 2, ImagesPerBatch = 1 })[1]));
        Assert.NotEqual(a[0], a[1]);
    }

    [Theory]
    [InlineData(0, "prompt")]
    [InlineData(-1, "steps")]
    public void Invalid_requests_are_refused_with_the_field_named(int steps, string field)
    {
        var request = field == "prompt" ? Request() : Request("x") with { Steps = steps };
        var e = Assert.Throws<ArgumentException>(() => new DiffusionPipeline(_model).Generate(request));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weighted_prompt_parsing_keeps_colons_that_are_not_weights()
    {
        Assert.Equal(new WeightedPrompt("view: frontal", 1f), WeightedPrompt.Parse("view: frontal"));
        Assert.Equal(new WeightedPrompt("view: frontal", 0.25f), WeightedPrompt.Parse("view: frontal:0.25"));
        Assert.Throws<ArgumentException>(() => WeightedPrompt.Parse("x:-1"));
    }
}

/// <summary>A model folder with missing parts or mismatched names is refused with what is wrong.</summary>
public sealed class DiffusionModelFolderTests
{
    private static readonly OnnxSessionFactory Factory = new(new OnnxSessionOptions());

    private static string CopyModel()
    {
        var dir = Path.Combine(Path.GetTempPath(), "smed-model-" + Guid.NewGuid().ToString("N"), "tiny-sd");
        foreach (var file in Directory.EnumerateFiles(TestModels.Diffusion, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(TestModels.Diffusion, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return dir;
    }

    [Fact]
    public void Missing_unet_is_named()
    {
        var dir = CopyModel();
        File.Delete(Path.Combine(dir, "unet", "model.onnx"));
        var e = Assert.Throws<InvalidDataException>(() => new DiffusionModel(dir, Factory));
        Assert.Contains("unet/model.onnx is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unet_without_the_expected_input_names_lists_what_it_has()
    {
        var dir = CopyModel();
        var unet = Path.Combine(dir, "unet", "model.onnx");
        var r = ExternalTool.Run("/usr/bin/python3", ["-c", "import onnx,sys; m=onnx.load(sys.argv[1]); [setattr(i,'name','latents') for i in m.graph.input if i.name=='sample']; [n.input.__setitem__(k,'latents') for n in m.graph.node for k,x in enumerate(n.input) if x=='sample']; onnx.save(m, sys.argv[1])", unet]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var e = Assert.Throws<InvalidDataException>(() => new DiffusionModel(dir, Factory));
        Assert.Contains("unet/model.onnx has no input 'sample'", e.Message, StringComparison.Ordinal);
        Assert.Contains("latents", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_hash_follows_content_not_location()
    {
        var copy = CopyModel();
        Assert.Equal(ModelHash.Of(TestModels.Diffusion), ModelHash.Of(copy));
        File.AppendAllText(Path.Combine(copy, "unet", "config.json"), " ");
        Assert.NotEqual(ModelHash.Of(TestModels.Diffusion), ModelHash.Of(copy));
    }
}
