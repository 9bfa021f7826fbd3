using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>What to generate.</summary>
public sealed record GenerationRequest
{
    public required string Prompt { get; init; }

    public string NegativePrompt { get; init; } = string.Empty;

    public int Steps { get; init; } = 8;

    /// <summary>Classifier-free guidance scale; ≤ 1 disables guidance.</summary>
    public float GuidanceScale { get; init; } = 3f;

    public int Seed { get; init; }

    public int Count { get; init; } = 1;
}

/// <summary>Where the time went, for the bench: pipeline time over the sum of raw session times.</summary>
public sealed class GenerationTimings
{
    public TimeSpan TextEncoder { get; set; }

    public TimeSpan Unet { get; set; }

    public TimeSpan VaeDecoder { get; set; }

    public TimeSpan Total { get; set; }

    public int UnetCalls { get; set; }
}

/// <summary>Text-to-image latent diffusion as diffusers' ONNX Stable Diffusion pipeline runs it: encode prompt
/// (and negative prompt for guidance), start from seeded noise, denoise with the scheduler, decode with the VAE.</summary>
public sealed class DiffusionPipeline(DiffusionModel model)
{
    public IReadOnlyList<Image8> Generate(GenerationRequest request, GenerationTimings? timings = null, CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        var images = new List<Image8>(request.Count);
        for (var n = 0; n < request.Count; n++)
        {
            images.Add(GenerateOne(request, request.Seed + n, timings, cancellationToken));
        }

        if (timings is not null)
        {
            timings.Total += total.Elapsed;
        }

        return images;
    }

    private Image8 GenerateOne(GenerationRequest request, int seed, GenerationTimings? timings, CancellationToken ct)
    {
        var guided = request.GuidanceScale > 1f;
        var sw = Stopwatch.StartNew();
        var text = EncodeText(request.Prompt);
        var hidden = text.Values;
        var batch = 1;
        if (guided)
        {
            var uncond = EncodeText(request.NegativePrompt);
            hidden = [.. uncond.Values, .. text.Values];
            batch = 2;
        }

        if (timings is not null)
        {
            timings.TextEncoder += sw.Elapsed;
        }

        var scheduler = model.CreateScheduler();
        scheduler.SetTimesteps(request.Steps);
        var latentLength = model.LatentChannels * model.LatentSize * model.LatentSize;
        var noise = new GaussianNoise(seed);
        var latents = noise.Sample(latentLength);
        for (var i = 0; i < latents.Length; i++)
        {
            latents[i] *= scheduler.InitNoiseSigma;
        }

        long[] latentShape = [1, model.LatentChannels, model.LatentSize, model.LatentSize];
        long[] batchShape = [batch, model.LatentChannels, model.LatentSize, model.LatentSize];
        using var hiddenValue = TensorIO.FromFloats(hidden, [batch, text.Shape[1], text.Shape[2]], model.HiddenType);
        foreach (var t in scheduler.Timesteps)
        {
            ct.ThrowIfCancellationRequested();
            var input = scheduler.ScaleModelInput(latents, t);
            var unetInput = guided ? [.. input, .. input] : input;
            sw.Restart();
            using var sample = TensorIO.FromFloats(unetInput, batchShape, model.SampleType);
            using var timestep = TensorIO.FromFloats([t], [1], model.TimestepType);
            using var runOptions = new RunOptions();
            using var outputs = model.Unet.Run(runOptions, ["sample", "timestep", "encoder_hidden_states"], [sample, timestep, hiddenValue], [model.UnetOutput]);
            var eps = TensorIO.ToFloats(outputs[0]);
            if (timings is not null)
            {
                timings.Unet += sw.Elapsed;
                timings.UnetCalls++;
            }

            if (guided)
            {
                var guidedEps = new float[latentLength];
                for (var i = 0; i < latentLength; i++)
                {
                    var u = eps[i];
                    guidedEps[i] = u + (request.GuidanceScale * (eps[latentLength + i] - u));
                }

                eps = guidedEps;
            }

            latents = scheduler.Step(eps, t, latents, noise);
        }

        for (var i = 0; i < latents.Length; i++)
        {
            latents[i] /= model.ScalingFactor;
        }

        sw.Restart();
        using var latentValue = TensorIO.FromFloats(latents, latentShape, model.LatentType);
        using var decodeOptions = new RunOptions();
        using var decoded = model.VaeDecoder.Run(decodeOptions, [model.LatentInput], [latentValue], [model.ImageOutput]);
        var image = TensorIO.ToFloats(decoded[0]);
        var shape = TensorIO.Shape(decoded[0]);
        if (timings is not null)
        {
            timings.VaeDecoder += sw.Elapsed;
        }

        return ToImage(image, (int)shape[1], (int)shape[2], (int)shape[3]);
    }

    private (float[] Values, long[] Shape) EncodeText(string prompt)
    {
        var ids = model.Tokenizer.Encode(prompt);
        using var input = TensorIO.FromInts(ids, [1, ids.Length], model.TokenType);
        using var runOptions = new RunOptions();
        using var outputs = model.TextEncoder.Run(runOptions, [model.TokenInput], [input], [model.TextOutput]);
        return (TensorIO.ToFloats(outputs[0]), TensorIO.Shape(outputs[0]));
    }

    /// <summary>CHW in [-1, 1] to interleaved 8-bit: clip(x / 2 + 0.5) * 255, rounded as diffusers' numpy_to_pil.</summary>
    private static Image8 ToImage(float[] chw, int channels, int height, int width)
    {
        var plane = height * width;
        var outChannels = channels >= 3 ? 3 : 1;
        var pixels = new byte[plane * outChannels];
        for (var p = 0; p < plane; p++)
        {
            for (var c = 0; c < outChannels; c++)
            {
                var v = Math.Clamp((chw[(c * plane) + p] / 2f) + 0.5f, 0f, 1f);
                pixels[(p * outChannels) + c] = (byte)MathF.Round(v * 255f);
            }
        }

        return new Image8(width, height, outChannels, pixels);
    }
}
