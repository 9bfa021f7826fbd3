namespace ServerlessMed.Inference.Diffusion;

/// <summary>DDIM (diffusers DDIMScheduler, eta = 0): deterministic.</summary>
public sealed class DdimScheduler : IScheduler
{
    private readonly SchedulerConfig _config;
    private readonly float[] _alphasCumprod;
    private readonly float _finalAlphaCumprod;
    private int _steps;

    public DdimScheduler(SchedulerConfig config)
    {
        _config = config;
        _alphasCumprod = NoiseSchedule.AlphasCumprod(NoiseSchedule.Betas(config));
        _finalAlphaCumprod = config.SetAlphaToOne ? 1f : _alphasCumprod[0];
    }

    public IReadOnlyList<int> Timesteps { get; private set; } = [];

    public float InitNoiseSigma => 1f;

    public void SetTimesteps(int inferenceSteps)
    {
        _steps = inferenceSteps;
        Timesteps = NoiseSchedule.Spaced(_config, inferenceSteps);
    }

    public float[] ScaleModelInput(float[] sample, int timestep) => sample;

    public float[] Step(float[] modelOutput, int timestep, float[] sample, GaussianNoise? noise = null)
    {
        if (_steps == 0)
        {
            throw new InvalidOperationException("call SetTimesteps before Step");
        }

        var prev = timestep - (_config.NumTrainTimesteps / _steps);
        var alphaT = _alphasCumprod[timestep];
        var alphaPrev = prev >= 0 ? _alphasCumprod[prev] : _finalAlphaCumprod;
        var betaT = 1f - alphaT;
        var sqrtAlphaT = MathF.Sqrt(alphaT);
        var sqrtBetaT = MathF.Sqrt(betaT);
        var sqrtAlphaPrev = MathF.Sqrt(alphaPrev);
        var direction = MathF.Sqrt(1f - alphaPrev);
        var result = new float[sample.Length];
        for (var i = 0; i < sample.Length; i++)
        {
            float x0, eps;
            switch (_config.PredictionType)
            {
                case "epsilon":
                    x0 = (sample[i] - (sqrtBetaT * modelOutput[i])) / sqrtAlphaT;
                    eps = modelOutput[i];
                    break;
                case "sample":
                    x0 = modelOutput[i];
                    eps = (sample[i] - (sqrtAlphaT * x0)) / sqrtBetaT;
                    break;
                case "v_prediction":
                    x0 = (sqrtAlphaT * sample[i]) - (sqrtBetaT * modelOutput[i]);
                    eps = (sqrtAlphaT * modelOutput[i]) + (sqrtBetaT * sample[i]);
                    break;
                default:
                    throw new NotSupportedException($"prediction_type '{_config.PredictionType}' is not supported");
            }

            if (_config.ClipSample)
            {
                x0 = Math.Clamp(x0, (float)-_config.ClipSampleRange, (float)_config.ClipSampleRange);
            }

            result[i] = (sqrtAlphaPrev * x0) + (direction * eps);
        }

        return result;
    }
}
