using System.Globalization;

namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>What the model predicts (diffusers' prediction_type).</summary>
public enum PredictionType
{
    Epsilon,
    VPrediction,
    Sample,
}

/// <summary>Class defaults of one scheduler, applied where the config does not set a key (from_config semantics).</summary>
public sealed record SchedulerDefaults(string TimestepSpacing = "leading", string BetaSchedule = "linear", double BetaStart = 0.0001, double BetaEnd = 0.02);

/// <summary>What every discrete-time scheduler shares: the training schedule read from the config, the prediction
/// type, and diffusers' step-index bookkeeping (first step found by looking the timestep up, or a begin index set by
/// an img2img pipeline).</summary>
public abstract class DiscreteScheduler : IScheduler
{
    private int? _beginIndex;

    protected DiscreteScheduler(SchedulerConfig config, SchedulerDefaults defaults)
    {
        Config = config;
        Reject(config, "thresholding", "dynamic thresholding");
        Reject(config, "rescale_betas_zero_snr", "zero-terminal-SNR rescaling");
        if (config.IsSet("trained_betas"))
        {
            throw new InvalidDataException("scheduler config: 'trained_betas' is not supported; give beta_schedule, beta_start and beta_end");
        }

        NumTrainTimesteps = config.Int("num_train_timesteps", 1000);
        if (NumTrainTimesteps < 2)
        {
            throw new InvalidDataException("scheduler config: num_train_timesteps must be at least 2");
        }

        Betas = NoiseSchedule.Betas(
            config.String("beta_schedule", defaults.BetaSchedule),
            config.Double("beta_start", defaults.BetaStart),
            config.Double("beta_end", defaults.BetaEnd),
            NumTrainTimesteps);
        AlphasCumprod = NoiseSchedule.AlphasCumprod(Betas);
        Prediction = ParsePrediction(config.String("prediction_type", "epsilon"));
        TimestepSpacing = config.String("timestep_spacing", defaults.TimestepSpacing);
        StepsOffset = config.Int("steps_offset", 0);
    }

    public abstract string Name { get; }

    public SchedulerConfig Config { get; }

    public int NumTrainTimesteps { get; }

    public float[] Betas { get; }

    public float[] AlphasCumprod { get; }

    public PredictionType Prediction { get; }

    public string TimestepSpacing { get; }

    public int StepsOffset { get; }

    public IReadOnlyList<float> Timesteps => TimestepArray;

    public virtual float InitNoiseSigma => 1f;

    public virtual int Order => 1;

    /// <summary>Index of the next step in <see cref="Timesteps"/>; null until the first step.</summary>
    public int? StepIndex { get; protected set; }

    protected float[] TimestepArray { get; set; } = [];

    protected int InferenceSteps { get; set; }

    public abstract void SetTimesteps(int inferenceSteps);

    public void SetBeginIndex(int beginIndex)
    {
        if (beginIndex < 0 || beginIndex >= TimestepArray.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(beginIndex), beginIndex, "begin index is outside the timesteps; call SetTimesteps first");
        }

        _beginIndex = beginIndex;
    }

    public virtual float[] ScaleModelInput(float[] sample, float timestep) => sample;

    public abstract float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null);

    /// <summary>Alpha-based forward process: sqrt(a_t) x0 + sqrt(1 - a_t) noise.</summary>
    public virtual float[] AddNoise(float[] original, float[] noise, float timestep)
    {
        var a = AlphasCumprod[TrainIndex(timestep)];
        var sa = MathF.Sqrt(a);
        var sb = MathF.Sqrt(1f - a);
        var result = new float[original.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (sa * original[i]) + (sb * noise[i]);
        }

        return result;
    }

    protected void ResetStepIndex()
    {
        StepIndex = null;
        _beginIndex = null;
    }

    /// <summary>The step index for <paramref name="timestep"/> on the first call, then the running counter.</summary>
    protected int CurrentStepIndex(float timestep)
    {
        RequireTimesteps();
        StepIndex ??= _beginIndex ?? IndexForTimestep(timestep);
        return StepIndex.Value;
    }

    /// <summary>diffusers' index_for_timestep: the first match, or the second when the timestep repeats, so a
    /// schedule that starts in the middle (img2img) does not skip a sigma.</summary>
    protected int IndexForTimestep(float timestep)
    {
        var first = -1;
        for (var i = 0; i < TimestepArray.Length; i++)
        {
            if (TimestepArray[i] == timestep)
            {
                if (first >= 0)
                {
                    return i;
                }

                first = i;
            }
        }

        return first >= 0 ? first : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"timestep {timestep} is not one of this {Name}'s timesteps"), nameof(timestep));
    }

    protected void RequireTimesteps()
    {
        if (TimestepArray.Length == 0)
        {
            throw new InvalidOperationException($"{Name}: call SetTimesteps before stepping");
        }
    }

    protected int TrainIndex(float timestep)
    {
        var t = (int)timestep;
        return t >= 0 && t < NumTrainTimesteps ? t : throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"timestep must be within 0..{NumTrainTimesteps - 1}");
    }

    protected void CheckSteps(int inferenceSteps)
    {
        if (inferenceSteps < 1 || inferenceSteps > NumTrainTimesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps, $"{Name}: inference steps must be between 1 and {NumTrainTimesteps}");
        }
    }

    protected static float[] ToFloats(int[] values) => Array.ConvertAll(values, v => (float)v);

    private static PredictionType ParsePrediction(string value) => value switch
    {
        "epsilon" => PredictionType.Epsilon,
        "v_prediction" => PredictionType.VPrediction,
        "sample" or "original_sample" => PredictionType.Sample,
        _ => throw new InvalidDataException($"scheduler config: prediction_type '{value}' is not supported (epsilon, v_prediction, sample)"),
    };

    private static void Reject(SchedulerConfig config, string key, string what)
    {
        if (config.Bool(key, false))
        {
            throw new InvalidDataException($"scheduler config: {key} = true ({what}) is not supported");
        }
    }
}
