using System.Text.Json;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>diffusers' scheduler_config.json: the fields every scheduler here reads.</summary>
public sealed class SchedulerConfig
{
    public string ClassName { get; init; } = "DDIMScheduler";

    public int NumTrainTimesteps { get; init; } = 1000;

    public double BetaStart { get; init; } = 0.0001;

    public double BetaEnd { get; init; } = 0.02;

    /// <summary>linear, scaled_linear, squaredcos_cap_v2.</summary>
    public string BetaSchedule { get; init; } = "linear";

    /// <summary>epsilon, v_prediction, sample.</summary>
    public string PredictionType { get; init; } = "epsilon";

    /// <summary>leading, trailing, linspace.</summary>
    public string TimestepSpacing { get; init; } = "leading";

    public int StepsOffset { get; init; }

    public bool ClipSample { get; init; } = true;

    public double ClipSampleRange { get; init; } = 1.0;

    public bool SetAlphaToOne { get; init; } = true;

    public bool UseKarrasSigmas { get; init; }

    public static SchedulerConfig Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        string S(string name, string d) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : d;
        double D(string name, double d) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : d;
        int I(string name, int d) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : d;
        bool B(string name, bool d) => r.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : d;
        return new SchedulerConfig
        {
            ClassName = S("_class_name", "DDIMScheduler"),
            NumTrainTimesteps = I("num_train_timesteps", 1000),
            BetaStart = D("beta_start", 0.0001),
            BetaEnd = D("beta_end", 0.02),
            BetaSchedule = S("beta_schedule", "linear"),
            PredictionType = S("prediction_type", "epsilon"),
            TimestepSpacing = S("timestep_spacing", "leading"),
            StepsOffset = I("steps_offset", 0),
            ClipSample = B("clip_sample", true),
            ClipSampleRange = D("clip_sample_range", 1.0),
            SetAlphaToOne = B("set_alpha_to_one", true),
            UseKarrasSigmas = B("use_karras_sigmas", false),
        };
    }
}
