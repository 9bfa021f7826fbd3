using System.Diagnostics;
using System.Globalization;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Benchmarks;

/// <summary>How much of a generation is ours: pipeline wall time over the sum of the raw ONNX session times (the rest
/// is scheduler math, guidance, copies, tokenizing, PNG-free image conversion), per scheduler, plus denoising steps/s
/// and images/s at 1 and 4 images per UNet batch.</summary>
internal static class GenerationBench
{
    public static int Run(string modelFolder, int steps, int repeats, string provider)
    {
        var factory = new OnnxSessionFactory(new OnnxSessionOptions { Provider = Enum.Parse<ExecutionProviderPreference>(provider, ignoreCase: true), IntraOpThreads = 0 }, m => Console.Error.WriteLine(m));
        using var model = new DiffusionModel(modelFolder, factory);
        var pipeline = new DiffusionPipeline(model);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"model {model.Id} ({model.Hash[..12]}), latents {model.LatentChannels}x{model.LatentSize}x{model.LatentSize}, {model.SampleType}, {model.Provider}, {steps} steps, guidance 7.5, {repeats} runs each"));
        Console.WriteLine("scheduler          pipeline ms  sessions ms  scheduler ms  glue %   steps/s");
        foreach (var scheduler in SchedulerFactory.Names)
        {
            var request = new GenerationRequest { Prompts = [new WeightedPrompt("a ct image of the chest")], Steps = steps, GuidanceScale = 7.5f, Scheduler = scheduler };
            pipeline.Generate(request); // warm-up: first-run allocations and ORT's arena
            var t = new GenerationTimings();
            for (var i = 0; i < repeats; i++)
            {
                pipeline.Generate(request with { Seed = i }, t);
            }

            var glue = (t.Total - t.Sessions).TotalMilliseconds / t.Total.TotalMilliseconds * 100;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scheduler,-18} {t.Total.TotalMilliseconds / repeats,11:F1} {t.Sessions.TotalMilliseconds / repeats,12:F1} {t.Scheduler.TotalMilliseconds / repeats,13:F2} {glue,6:F2} {t.DenoisingSteps / t.Total.TotalSeconds,9:F1}"));
        }

        foreach (var batch in new[] { 1, 4 })
        {
            var request = new GenerationRequest { Prompts = [new WeightedPrompt("a ct image of the chest")], Steps = steps, GuidanceScale = 7.5f, Count = 4, ImagesPerBatch = batch };
            pipeline.Generate(request);
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < repeats; i++)
            {
                pipeline.Generate(request with { Seed = i });
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"images per UNet batch {batch}: {4.0 * repeats / sw.Elapsed.TotalSeconds:F2} images/s"));
        }

        return 0;
    }
}
