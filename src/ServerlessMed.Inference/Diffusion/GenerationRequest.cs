using System.Globalization;
using ServerlessMed.Imaging;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>One conditioning prompt and its weight. Several prompts are mixed in text-embedding space (the weighted
/// mean of their encoder states), so "view" and "findings" can condition one image together.</summary>
public sealed record WeightedPrompt(string Text, float Weight = 1f)
{
    /// <summary>"TEXT" or "TEXT:WEIGHT" (the weight only when what follows the last colon is a number).</summary>
    public static WeightedPrompt Parse(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && float.TryParse(value.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
        {
            return weight > 0 && float.IsFinite(weight)
                ? new WeightedPrompt(value[..colon], weight)
                : throw new ArgumentException($"prompt weight must be a positive number, got '{value[(colon + 1)..]}'", nameof(value));
        }

        return new WeightedPrompt(value);
    }

    public override string ToString() => Weight == 1f ? Text : string.Create(CultureInfo.InvariantCulture, $"{Text}:{Weight}");
}

/// <summary>What to generate: diffusers' pipeline arguments.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<WeightedPrompt> Prompts { get; init; }

    public string NegativePrompt { get; init; } = string.Empty;

    public int Steps { get; init; } = 8;

    /// <summary>Classifier-free guidance scale; ≤ 1 disables guidance (one UNet evaluation per step instead of two).</summary>
    public float GuidanceScale { get; init; } = 3f;

    public int Seed { get; init; }

    public int Count { get; init; } = 1;

    /// <summary>A <c>--scheduler</c> name (ddim, pndm, euler, euler-a, dpm++2m, dpm++2m-karras, lcm); null: the
    /// model's own scheduler_config.json class.</summary>
    public string? Scheduler { get; init; }

    /// <summary>img2img: the image to start from (already rendered for display); null for text-to-image.</summary>
    public Image8? InitImage { get; init; }

    /// <summary>img2img: how much of the schedule to run (1 = ignore the init image, 0 = return it).</summary>
    public float Strength { get; init; } = 0.8f;

    /// <summary>Images denoised together in one UNet batch; the worker halves it when the device runs out of memory.
    /// Results do not depend on it.</summary>
    public int ImagesPerBatch { get; init; } = 1;

    public static GenerationRequest FromPrompt(string prompt) => new() { Prompts = [new WeightedPrompt(prompt)] };

    /// <summary>Prompts as one line for provenance and DICOM Derivation Description.</summary>
    public string PromptText => string.Join(" | ", Prompts.Select(p => p.ToString()));

    public void Validate()
    {
        if (Prompts.Count == 0 || Prompts.All(p => string.IsNullOrWhiteSpace(p.Text)))
        {
            throw new ArgumentException("at least one non-empty prompt is required");
        }

        if (Prompts.Any(p => !(p.Weight > 0) || !float.IsFinite(p.Weight)))
        {
            throw new ArgumentException("prompt weights must be positive numbers");
        }

        if (Steps < 1 || Steps > 1000)
        {
            throw new ArgumentException($"steps must be between 1 and 1000, got {Steps}");
        }

        if (Count < 1 || Count > 64)
        {
            throw new ArgumentException($"count must be between 1 and 64, got {Count}");
        }

        if (!float.IsFinite(GuidanceScale) || GuidanceScale < 0)
        {
            throw new ArgumentException($"guidance must be a non-negative number, got {GuidanceScale}");
        }

        if (InitImage is not null && !(Strength > 0 && Strength <= 1))
        {
            throw new ArgumentException($"strength must be in (0, 1], got {Strength}");
        }

        if (ImagesPerBatch < 1)
        {
            throw new ArgumentException("images per batch must be at least 1");
        }
    }
}

/// <summary>Where the time went, for provenance and the bench: pipeline time over the sum of raw session times.</summary>
public sealed class GenerationTimings
{
    public TimeSpan TextEncoder { get; set; }

    public TimeSpan Unet { get; set; }

    public TimeSpan VaeEncoder { get; set; }

    public TimeSpan VaeDecoder { get; set; }

    public TimeSpan Total { get; set; }

    public int UnetCalls { get; set; }

    /// <summary>Scheduler and guidance arithmetic (ScaleModelInput, CFG combine, Step), the denoising loop's glue.</summary>
    public TimeSpan Scheduler { get; set; }

    public int DenoisingSteps { get; set; }

    public TimeSpan Sessions => TextEncoder + Unet + VaeEncoder + VaeDecoder;
}
