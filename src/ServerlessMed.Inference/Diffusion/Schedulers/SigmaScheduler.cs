namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>What Euler-type (k-diffusion) schedulers share: inference sigmas interpolated from the training sigmas at
/// (fractional) timesteps or spaced per Karras, a final sigma, model input scaled by 1/sqrt(sigma^2 + 1), and noise
/// added as x0 + sigma * noise.</summary>
public abstract class SigmaScheduler : DiscreteScheduler
{
    private readonly double[] _trainSigmas;
    private readonly double[] _logSigmas;

    protected SigmaScheduler(SchedulerConfig config)
        : base(config, new SchedulerDefaults(TimestepSpacing: "linspace"))
    {
        _trainSigmas = NoiseSchedule.Sigmas(AlphasCumprod);
        _logSigmas = Array.ConvertAll(_trainSigmas, Math.Log);
        UseKarrasSigmas = config.Bool("use_karras_sigmas", false);
        FinalSigmasType = config.String("final_sigmas_type", "zero");
        if (FinalSigmasType is not ("zero" or "sigma_min"))
        {
            throw new InvalidDataException($"scheduler config: final_sigmas_type '{FinalSigmasType}' is not supported (zero, sigma_min)");
        }

        var interpolation = config.String("interpolation_type", "linear");
        if (interpolation != "linear")
        {
            throw new InvalidDataException($"scheduler config: interpolation_type '{interpolation}' is not supported (linear)");
        }

        Sigmas = [.. _trainSigmas.Reverse().Select(s => (float)s), 0f];
    }

    public bool UseKarrasSigmas { get; }

    public string FinalSigmasType { get; }

    /// <summary>Inference sigmas, one per timestep plus the final one.</summary>
    public float[] Sigmas { get; private set; }

    public override float InitNoiseSigma
    {
        get
        {
            var max = Sigmas.Max();
            return TimestepSpacing is "linspace" or "trailing" ? max : MathF.Sqrt((max * max) + 1f);
        }
    }

    public override void SetTimesteps(int inferenceSteps)
    {
        CheckSteps(inferenceSteps);
        InferenceSteps = inferenceSteps;
        var n = NumTrainTimesteps;
        var timesteps = new double[inferenceSteps];
        switch (TimestepSpacing)
        {
            case "linspace":
                for (var i = 0; i < inferenceSteps; i++)
                {
                    var v = inferenceSteps == 1 ? 0 : (n - 1) * (double)i / (inferenceSteps - 1);
                    timesteps[inferenceSteps - 1 - i] = (float)v;
                }

                break;
            case "leading":
            case "trailing":
                var spaced = NoiseSchedule.Spaced(TimestepSpacing, n, inferenceSteps, StepsOffset);
                for (var i = 0; i < inferenceSteps; i++)
                {
                    timesteps[i] = spaced[i];
                }

                break;
            default:
                throw new InvalidDataException($"scheduler config: timestep_spacing '{TimestepSpacing}' is not supported (leading, trailing, linspace)");
        }

        var sigmas = Array.ConvertAll(timesteps, t => NoiseSchedule.InterpolateAtTimestep(_trainSigmas, t));
        if (UseKarrasSigmas)
        {
            sigmas = NoiseSchedule.Karras(sigmas[0], sigmas[^1], inferenceSteps);
            timesteps = Array.ConvertAll(sigmas, s => NoiseSchedule.SigmaToTimestep(s, _logSigmas));
        }

        var last = FinalSigmasType == "zero" ? 0f : (float)_trainSigmas[0];
        Sigmas = [.. sigmas.Select(s => (float)s), last];
        TimestepArray = Array.ConvertAll(timesteps, t => (float)t);
        ResetStepIndex();
    }

    public override float[] ScaleModelInput(float[] sample, float timestep)
    {
        var sigma = Sigmas[CurrentStepIndex(timestep)];
        var scale = 1f / MathF.Sqrt((sigma * sigma) + 1f);
        var result = new float[sample.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = sample[i] * scale;
        }

        return result;
    }

    public override float[] AddNoise(float[] original, float[] noise, float timestep)
    {
        RequireTimesteps();
        var sigma = Sigmas[StepIndex ?? IndexForTimestep(timestep)];
        var result = new float[original.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = original[i] + (noise[i] * sigma);
        }

        return result;
    }

    /// <summary>x0 predicted from the model output at noise level sigma (k-diffusion parameterisation).</summary>
    protected float PredictOriginal(float modelOutput, float sample, float sigma) => Prediction switch
    {
        PredictionType.Epsilon => sample - (sigma * modelOutput),
        PredictionType.VPrediction => (modelOutput * (-sigma / MathF.Sqrt((sigma * sigma) + 1f))) + (sample / ((sigma * sigma) + 1f)),
        _ => modelOutput,
    };
}
