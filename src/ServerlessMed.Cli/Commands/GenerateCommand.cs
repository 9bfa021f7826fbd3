using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed generate: run the worker's diffusion pipeline on one request from the command line and write what
/// the worker writes ({n}.png, {n}.dcm, request.json) into a folder.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "diffusion model folder (optimum's ONNX export layout)", Required = true };
        var prompt = new Option<string[]>("--prompt") { Description = "prompt; repeat for several, TEXT:WEIGHT to weight one", Required = true, AllowMultipleArgumentsPerToken = false };
        var negative = new Option<string>("--negative") { Description = "negative prompt (the unconditional branch of guidance)", DefaultValueFactory = _ => string.Empty };
        var init = new Option<FileInfo?>("--init") { Description = "img2img: DICOM file whose first frame (through its VOI LUT) is the starting image" };
        var strength = new Option<float>("--strength") { Description = "img2img strength in (0, 1]", DefaultValueFactory = _ => 0.8f };
        var scheduler = new Option<string?>("--scheduler") { Description = "ddim|pndm|euler|euler-a|dpm++2m|dpm++2m-karras|lcm (default: the model's own)" };
        var steps = new Option<int>("--steps") { Description = "denoising steps", DefaultValueFactory = _ => 20 };
        var guidance = new Option<float>("--guidance") { Description = "classifier-free guidance scale (<= 1 disables it)", DefaultValueFactory = _ => 7.5f };
        var seed = new Option<int>("--seed") { Description = "seed; image n uses seed + n", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = "number of images", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "images per UNet batch", DefaultValueFactory = _ => 1 };
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "execution provider: Auto (CUDA, else CPU), Cuda, Cpu", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var output = new Option<DirectoryInfo>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("generate", "Generate synthetic images with a latent diffusion model (text-to-image or image-to-image)")
        {
            model, prompt, negative, init, strength, scheduler, steps, guidance, seed, count, batch, provider, output,
        };
        cmd.SetAction(parse =>
        {
            var schedulerName = parse.GetValue(scheduler);
            if (schedulerName is not null && !SchedulerFactory.Names.Contains(schedulerName))
            {
                Console.Error.WriteLine($"smed generate: scheduler '{schedulerName}' is not supported ({string.Join(", ", SchedulerFactory.Names)})");
                return 2;
            }

            GenerationRequest request;
            DicomFile? source = null;
            try
            {
                Image8? initImage = null;
                if (parse.GetValue(init) is { } initFile)
                {
                    source = DicomFile.Open(initFile.FullName);
                    initImage = Renderer.Render(source.Dataset, FrameDecoder.Decode(source.Dataset, source.TransferSyntax, 0));
                }

                request = new GenerationRequest
                {
                    Prompts = [.. parse.GetValue(prompt)!.Select(WeightedPrompt.Parse)],
                    NegativePrompt = parse.GetValue(negative)!,
                    Steps = parse.GetValue(steps),
                    GuidanceScale = parse.GetValue(guidance),
                    Seed = parse.GetValue(seed),
                    Count = parse.GetValue(count),
                    Scheduler = schedulerName,
                    InitImage = initImage,
                    Strength = parse.GetValue(strength),
                    ImagesPerBatch = parse.GetValue(batch),
                };
                request.Validate();
            }
            catch (Exception e) when (e is ArgumentException or DicomException or IOException)
            {
                Console.Error.WriteLine($"smed generate: {e.Message}");
                return 2;
            }

            var factory = new OnnxSessionFactory(new OnnxSessionOptions { Provider = parse.GetValue(provider), IntraOpThreads = 0 }, m => Console.Error.WriteLine($"smed generate: {m}"));
            using var diffusion = new DiffusionModel(parse.GetValue(model)!.FullName, factory);
            var pipeline = new DiffusionPipeline(diffusion);
            var timings = new GenerationTimings();
            var sw = Stopwatch.StartNew();
            var images = pipeline.Generate(request, timings);
            var outDir = parse.GetValue(output)!;
            outDir.Create();
            var requestId = RequestId(request, diffusion.Hash);
            var uids = new List<string>();
            for (var n = 0; n < images.Count; n++)
            {
                File.WriteAllBytes(Path.Combine(outDir.FullName, $"{n}.png"), PngWriter.Encode(images[n]));
                var dicom = SyntheticInstanceBuilder.Build(source?.Dataset, images[n], new SyntheticProvenance(requestId, n, request.PromptText, diffusion.Id, diffusion.Hash));
                dicom.Save(Path.Combine(outDir.FullName, $"{n}.dcm"));
                uids.Add(dicom.Dataset.GetString(DicomTag.SOPInstanceUID));
            }

            var message = new GenerationMessage
            {
                RequestId = requestId,
                StudyUid = source?.Dataset.GetSingleValueOrDefault(DicomTag.StudyInstanceUID, string.Empty) ?? string.Empty,
                SeriesUid = string.Empty,
                SopUid = source?.Dataset.GetSingleValueOrDefault(DicomTag.SOPInstanceUID, string.Empty) ?? string.Empty,
                DeidBlob = string.Empty,
                Prompt = request.PromptText,
            };
            var provenance = GenerationProvenance.Create(message, request, pipeline, timings, uids);
            File.WriteAllText(Path.Combine(outDir.FullName, "request.json"), JsonSerializer.Serialize(provenance, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
            var seconds = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""{"images":{{images.Count}},"requestId":"{{requestId}}","scheduler":"{{provenance.Scheduler}}","provider":"{{diffusion.Provider}}","seconds":{{seconds:F3}},"stepsPerSecond":{{timings.DenoisingSteps / Math.Max(seconds, 1e-9):F2}}}"""));
            return 0;
        });
        return cmd;
    }

    /// <summary>Stable id over every parameter and the model hash: the same request names the same outputs.</summary>
    private static string RequestId(GenerationRequest r, string modelHash)
    {
        var text = string.Join('\u001f', modelHash, r.PromptText, r.NegativePrompt, r.Steps, r.GuidanceScale.ToString("R", CultureInfo.InvariantCulture), r.Seed, r.Count, r.Scheduler ?? "-", r.InitImage is null ? "-" : r.Strength.ToString("R", CultureInfo.InvariantCulture));
        return "g" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 10)).ToLowerInvariant();
    }
}
