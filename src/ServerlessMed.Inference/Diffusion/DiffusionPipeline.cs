using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>Latent diffusion as diffusers' ONNX Stable Diffusion pipelines run it, text-to-image and image-to-image:
/// encode the (weighted) prompts and the negative prompt, start from seeded noise (or the noised VAE latent of the
/// init image), denoise with the scheduler under classifier-free guidance, decode with the VAE. Each image n uses
/// seed + n and its own scheduler, so results do not depend on how images are batched.</summary>
public sealed class DiffusionPipeline(DiffusionModel model)
{
    public DiffusionModel Model => model;

    public IReadOnlyList<Image8> Generate(GenerationRequest request, GenerationTimings? timings = null, CancellationToken cancellationToken = default)
    {
        request.Validate();
        if (request.InitImage is not null && model.VaeEncoder is null)
        {
            throw new InvalidDataException($"diffusion model '{model.Id}': image-to-image needs vae_encoder/model.onnx");
        }

        timings ??= new GenerationTimings();
        var total = Stopwatch.StartNew();
        var guided = request.GuidanceScale > 1f;
        var (cond, textShape) = EncodePrompts(request.Prompts, timings);
        var uncond = guided ? EncodeText(request.NegativePrompt, timings).Values : null;
        var initLatents = request.InitImage is { } init ? EncodeImage(init, timings) : null;

        var images = new List<Image8>(request.Count);
        for (var first = 0; first < request.Count; first += request.ImagesPerBatch)
        {
            var batch = Math.Min(request.ImagesPerBatch, request.Count - first);
            var latents = Denoise(request, first, batch, cond, uncond, textShape, initLatents, timings, cancellationToken);
            foreach (var l in latents)
            {
                images.Add(Decode(l, timings));
            }
        }

        timings.Total += total.Elapsed;
        return images;
    }

    private float[][] Denoise(GenerationRequest request, int first, int batch, float[] cond, float[]? uncond, long[] textShape, float[]? initLatents, GenerationTimings timings, CancellationToken ct)
    {
        var latentLength = model.LatentChannels * model.LatentSize * model.LatentSize;
        var schedulers = new IScheduler[batch];
        var noises = new GaussianNoise[batch];
        var latents = new float[batch][];
        IReadOnlyList<float> timesteps = [];
        for (var k = 0; k < batch; k++)
        {
            var scheduler = schedulers[k] = model.CreateScheduler(request.Scheduler);
            scheduler.SetTimesteps(request.Steps);
            noises[k] = new GaussianNoise(request.Seed + first + k);
            var noise = noises[k].Sample(latentLength);
            if (initLatents is null)
            {
                timesteps = scheduler.Timesteps;
                latents[k] = [.. noise.Select(v => v * scheduler.InitNoiseSigma)];
            }
            else
            {
                // diffusers img2img: run the last strength × steps of the schedule from the noised init latent.
                var initSteps = Math.Min((int)(request.Steps * request.Strength), request.Steps);
                var start = Math.Max(request.Steps - initSteps, 0) * scheduler.Order;
                timesteps = scheduler.Timesteps.Skip(start).ToArray();
                if (timesteps.Count == 0)
                {
                    throw new ArgumentException($"strength {request.Strength} with {request.Steps} steps leaves no denoising step");
                }

                scheduler.SetBeginIndex(start);
                latents[k] = scheduler.AddNoise(initLatents, noise, timesteps[0]);
            }
        }

        var guided = uncond is not null;
        var perImage = guided ? 2 : 1;
        var unetBatch = batch * perImage;
        var hidden = new float[unetBatch * cond.Length];
        for (var k = 0; k < batch; k++)
        {
            if (guided)
            {
                uncond!.CopyTo(hidden, k * cond.Length);
                cond.CopyTo(hidden, (batch + k) * cond.Length);
            }
            else
            {
                cond.CopyTo(hidden, k * cond.Length);
            }
        }

        using var unet = new UnetRunner(model, hidden, [unetBatch, textShape[1], textShape[2]], unetBatch);
        var input = new float[unetBatch * latentLength];
        var sw = new Stopwatch();
        foreach (var t in timesteps)
        {
            ct.ThrowIfCancellationRequested();
            var glue = Stopwatch.StartNew();
            for (var k = 0; k < batch; k++)
            {
                var scaled = schedulers[k].ScaleModelInput(latents[k], t);
                scaled.CopyTo(input, k * latentLength);
                if (guided)
                {
                    scaled.CopyTo(input, (batch + k) * latentLength);
                }
            }

            timings.Scheduler += glue.Elapsed;
            sw.Restart();
            var output = unet.Run(input, t);
            timings.Unet += sw.Elapsed;
            timings.UnetCalls++;
            glue.Restart();
            for (var k = 0; k < batch; k++)
            {
                var eps = new float[latentLength];
                if (guided)
                {
                    // eps = uncond + g * (cond - uncond)
                    var u = output.AsSpan(k * latentLength, latentLength);
                    var c = output.AsSpan((batch + k) * latentLength, latentLength);
                    TensorPrimitives.Subtract(c, u, eps);
                    TensorPrimitives.MultiplyAdd(eps, request.GuidanceScale, u, eps);
                }
                else
                {
                    Array.Copy(output, k * latentLength, eps, 0, latentLength);
                }

                latents[k] = schedulers[k].Step(eps, t, latents[k], noises[k]);
            }

            timings.Scheduler += glue.Elapsed;

            timings.DenoisingSteps++;
        }

        return latents;
    }

    /// <summary>Weighted mean of the prompts' encoder states (MedCoDi-M-style multi-condition in embedding space).</summary>
    private (float[] Values, long[] Shape) EncodePrompts(IReadOnlyList<WeightedPrompt> prompts, GenerationTimings timings)
    {
        if (prompts.Count == 1)
        {
            return EncodeText(prompts[0].Text, timings);
        }

        float[]? sum = null;
        long[] shape = [];
        var total = prompts.Sum(p => p.Weight);
        foreach (var p in prompts)
        {
            var (values, s) = EncodeText(p.Text, timings);
            shape = s;
            sum ??= new float[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                sum[i] += values[i] * (p.Weight / total);
            }
        }

        return (sum!, shape);
    }

    private (float[] Values, long[] Shape) EncodeText(string prompt, GenerationTimings timings)
    {
        var sw = Stopwatch.StartNew();
        var ids = model.Tokenizer.Encode(prompt);
        using var input = TensorIO.FromInts(ids, [1, ids.Length], model.TokenType);
        using var runOptions = new RunOptions();
        using var outputs = model.TextEncoder.Run(runOptions, [model.TokenInput], [input], [model.TextOutput]);
        var result = (TensorIO.ToFloats(outputs[0]), TensorIO.Shape(outputs[0]));
        timings.TextEncoder += sw.Elapsed;
        return result;
    }

    /// <summary>Init image → [-1, 1] CHW at the VAE's size → latent mean × scaling factor.</summary>
    private float[] EncodeImage(Image8 image, GenerationTimings timings)
    {
        var size = model.ImageSize;
        var resized = Resampler.Fit(image, size);
        var rgb = new float[3 * size * size];
        var plane = size * size;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var sx = Math.Min(x, resized.Width - 1);
                var sy = Math.Min(y, resized.Height - 1);
                for (var c = 0; c < 3; c++)
                {
                    var v = resized.Pixels[(((sy * resized.Width) + sx) * resized.Channels) + (resized.Channels == 3 ? c : 0)];
                    rgb[(c * plane) + (y * size) + x] = (v / 127.5f) - 1f;
                }
            }
        }

        var sw = Stopwatch.StartNew();
        using var input = TensorIO.FromFloats(rgb, [1, 3, size, size], TensorIO.ElementType(model.VaeEncoder!, model.VaeEncoderInput!));
        using var runOptions = new RunOptions();
        using var outputs = model.VaeEncoder!.Run(runOptions, [model.VaeEncoderInput!], [input], [model.VaeEncoderOutput!]);
        var latent = TensorIO.ToFloats(outputs[0]);
        timings.VaeEncoder += sw.Elapsed;
        var length = model.LatentChannels * model.LatentSize * model.LatentSize;
        if (latent.Length != length && latent.Length != 2 * length)
        {
            throw new InvalidDataException($"diffusion model '{model.Id}': vae_encoder output has {latent.Length} values, expected {length} (or mean and log-variance, {2 * length})");
        }

        // Exports that return the latent distribution's parameters put the mean first.
        return [.. latent.Take(length).Select(v => v * model.ScalingFactor)];
    }

    private Image8 Decode(float[] latents, GenerationTimings timings)
    {
        var scaled = new float[latents.Length];
        TensorPrimitives.Multiply(latents, 1f / model.ScalingFactor, scaled);
        var sw = Stopwatch.StartNew();
        using var latentValue = TensorIO.FromFloats(scaled, [1, model.LatentChannels, model.LatentSize, model.LatentSize], model.LatentType);
        using var runOptions = new RunOptions();
        using var decoded = model.VaeDecoder.Run(runOptions, [model.LatentInput], [latentValue], [model.ImageOutput]);
        timings.VaeDecoder += sw.Elapsed;
        var shape = TensorIO.Shape(decoded[0]);
        return decoded[0].GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float
            ? ToImage(decoded[0].GetTensorDataAsSpan<float>(), (int)shape[1], (int)shape[2], (int)shape[3])
            : ToImage(TensorIO.ToFloats(decoded[0]), (int)shape[1], (int)shape[2], (int)shape[3]);
    }

    /// <summary>CHW in [-1, 1] to interleaved 8-bit as diffusers' numpy_to_pil: round(clip(x / 2 + 0.5, 0, 1) * 255),
    /// ties to even like numpy.</summary>
    private static Image8 ToImage(ReadOnlySpan<float> chw, int channels, int height, int width)
    {
        var plane = height * width;
        var outChannels = channels >= 3 ? 3 : 1;
        var rented = System.Buffers.ArrayPool<float>.Shared.Rent(plane * outChannels);
        var v = rented.AsSpan(0, plane * outChannels);
        TensorPrimitives.Multiply(chw[..v.Length], 0.5f, v);
        TensorPrimitives.Add(v, 0.5f, v);
        TensorPrimitives.Max(v, 0f, v);
        TensorPrimitives.Min(v, 1f, v);
        TensorPrimitives.Multiply(v, 255f, v);
        TensorPrimitives.Round(v, v);
        var pixels = new byte[plane * outChannels];
        for (var c = 0; c < outChannels; c++)
        {
            var src = v.Slice(c * plane, plane);
            for (var p = 0; p < plane; p++)
            {
                pixels[(p * outChannels) + c] = (byte)src[p];
            }
        }

        System.Buffers.ArrayPool<float>.Shared.Return(rented);
        return new Image8(width, height, outChannels, pixels);
    }
}
