namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>Latent Consistency Model sampling (diffusers LCMScheduler): timesteps are picked from the distillation
/// schedule of original_inference_steps; each step predicts the clean latent through the consistency boundary
/// condition and, except at the last step, re-noises it to the next timestep.</summary>
public sealed class LcmScheduler : DiscreteScheduler
{
    private const float SigmaData = 0.5f;
    private readonly int _originalSteps;
    private readonly float _timestepScaling;
    private readonly bool _clipSample;
    private readonly float _clipRange;
    private readonly float _finalAlphaCumprod;

    public LcmScheduler(SchedulerConfig config)
        : base(config, new SchedulerDefaults(BetaSchedule: "scaled_linear", BetaStart: 0.00085, BetaEnd: 0.012))
    {
        _originalSteps = config.Int("original_inference_steps", 50);
        _timestepScaling = (float)config.Double("timestep_scaling", 10.0);
        _clipSample = config.Bool("clip_sample", false);
        _clipRange = (float)config.Double("clip_sample_range", 1.0);
        _finalAlphaCumprod = config.Bool("set_alpha_to_one", true) ? 1f : AlphasCumprod[0];
        if (_originalSteps < 1 || _originalSteps > NumTrainTimesteps)
        {
            throw new InvalidDataException($"scheduler config: original_inference_steps must be between 1 and {NumTrainTimesteps}");
        }
    }

    public override string Name => "LCMScheduler";

    public override void SetTimesteps(int inferenceSteps)
    {
        if (inferenceSteps < 1 || inferenceSteps > _originalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps, $"LCMScheduler: inference steps must be between 1 and original_inference_steps ({_originalSteps})");
        }

        // lcm_origin_timesteps = arange(1, original_steps + 1) * k - 1, reversed; pick floor(linspace(0, len, steps, endpoint=False)).
        var k = NumTrainTimesteps / _originalSteps;
        var origin = Enumerable.Range(1, _originalSteps).Select(i => (i * k) - 1).Reverse().ToArray();
        var timesteps = new float[inferenceSteps];
        for (var i = 0; i < inferenceSteps; i++)
        {
            timesteps[i] = origin[(int)Math.Floor((double)origin.Length * i / inferenceSteps)];
        }

        InferenceSteps = inferenceSteps;
        TimestepArray = timesteps;
        ResetStepIndex();
    }

    public override float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null)
    {
        var index = CurrentStepIndex(timestep);
        var t = TrainIndex(timestep);
        var prevT = index + 1 < TimestepArray.Length ? (int)TimestepArray[index + 1] : t;
        var alphaT = AlphasCumprod[t];
        var alphaPrev = prevT >= 0 ? AlphasCumprod[prevT] : _finalAlphaCumprod;
        var sqrtAlphaT = MathF.Sqrt(alphaT);
        var sqrtBetaT = MathF.Sqrt(1f - alphaT);

        // Boundary condition (diffusers' c_skip, c_out): skip -> 1, out -> 0 as t -> 0.
        var scaled = t * _timestepScaling;
        var skipWeight = SigmaData * SigmaData / ((scaled * scaled) + (SigmaData * SigmaData));
        var outWeight = scaled / MathF.Sqrt((scaled * scaled) + (SigmaData * SigmaData));

        var last = index == InferenceSteps - 1;
        if (!last && noise is null)
        {
            throw new ArgumentNullException(nameof(noise), "LCM re-noises between steps: pass a seeded GaussianNoise");
        }

        var result = new float[sample.Length];
        var z = last ? null : noise!.Sample(sample.Length);
        var sqrtAlphaPrev = MathF.Sqrt(alphaPrev);
        var sqrtBetaPrev = MathF.Sqrt(1f - alphaPrev);
        for (var i = 0; i < result.Length; i++)
        {
            var x0 = Prediction switch
            {
                PredictionType.Epsilon => (sample[i] - (sqrtBetaT * modelOutput[i])) / sqrtAlphaT,
                PredictionType.VPrediction => (sqrtAlphaT * sample[i]) - (sqrtBetaT * modelOutput[i]),
                _ => modelOutput[i],
            };
            if (_clipSample)
            {
                x0 = Math.Clamp(x0, -_clipRange, _clipRange);
            }

            var denoised = (outWeight * x0) + (skipWeight * sample[i]);
            result[i] = last ? denoised : (sqrtAlphaPrev * denoised) + (sqrtBetaPrev * z![i]);
        }

        StepIndex = index + 1;
        return result;
    }
}
