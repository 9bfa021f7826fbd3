namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>DDIM (diffusers DDIMScheduler with eta = 0): deterministic; the previous timestep is
/// t - num_train_timesteps / steps.</summary>
public sealed class DdimScheduler : DiscreteScheduler
{
    private readonly bool _clipSample;
    private readonly float _clipRange;
    private readonly float _finalAlphaCumprod;

    public DdimScheduler(SchedulerConfig config)
        : base(config, new SchedulerDefaults())
    {
        _clipSample = config.Bool("clip_sample", true);
        _clipRange = (float)config.Double("clip_sample_range", 1.0);
        _finalAlphaCumprod = config.Bool("set_alpha_to_one", true) ? 1f : AlphasCumprod[0];
    }

    public override string Name => "DDIMScheduler";

    public override void SetTimesteps(int inferenceSteps)
    {
        CheckSteps(inferenceSteps);
        InferenceSteps = inferenceSteps;
        TimestepArray = ToFloats(NoiseSchedule.Spaced(TimestepSpacing, NumTrainTimesteps, inferenceSteps, StepsOffset));
        ResetStepIndex();
    }

    public override float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null)
    {
        RequireTimesteps();
        var t = TrainIndex(timestep);
        var prev = t - (NumTrainTimesteps / InferenceSteps);
        var alphaT = AlphasCumprod[t];
        var alphaPrev = prev >= 0 ? AlphasCumprod[prev] : _finalAlphaCumprod;
        var betaT = 1f - alphaT;
        var sqrtAlphaT = MathF.Sqrt(alphaT);
        var sqrtBetaT = MathF.Sqrt(betaT);
        var sqrtAlphaPrev = MathF.Sqrt(alphaPrev);
        var direction = MathF.Sqrt(1f - alphaPrev);
        var result = new float[sample.Length];
        for (var i = 0; i < sample.Length; i++)
        {
            float x0, eps;
            switch (Prediction)
            {
                case PredictionType.Epsilon:
                    x0 = (sample[i] - (sqrtBetaT * modelOutput[i])) / sqrtAlphaT;
                    eps = modelOutput[i];
                    break;
                case PredictionType.Sample:
                    x0 = modelOutput[i];
                    eps = (sample[i] - (sqrtAlphaT * x0)) / sqrtBetaT;
                    break;
                default:
                    x0 = (sqrtAlphaT * sample[i]) - (sqrtBetaT * modelOutput[i]);
                    eps = (sqrtAlphaT * modelOutput[i]) + (sqrtBetaT * sample[i]);
                    break;
            }

            if (_clipSample)
            {
                // diffusers clips x0 only; epsilon keeps the unclipped value (use_clipped_model_output = False).
                x0 = Math.Clamp(x0, -_clipRange, _clipRange);
            }

            result[i] = (sqrtAlphaPrev * x0) + (direction * eps);
        }

        return result;
    }
}
