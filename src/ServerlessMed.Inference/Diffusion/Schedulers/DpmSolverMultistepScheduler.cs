namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>DPM-Solver++ multistep (diffusers DPMSolverMultistepScheduler with algorithm_type dpmsolver++), first or
/// second order (midpoint or heun), optionally on Karras sigmas: "DPM++ 2M" and "DPM++ 2M Karras". Works in the
/// data-prediction (x0) space with half-log-SNR lambda = log(alpha_t) - log(sigma_t).</summary>
public sealed class DpmSolverMultistepScheduler : DiscreteScheduler
{
    private readonly double[] _trainSigmas;
    private readonly double[] _logSigmas;
    private readonly int _solverOrder;
    private readonly bool _midpoint;
    private readonly bool _lowerOrderFinal;
    private readonly bool _eulerAtFinal;
    private readonly List<float[]> _modelOutputs = [];
    private int _lowerOrderNums;

    public DpmSolverMultistepScheduler(SchedulerConfig config)
        : base(config, new SchedulerDefaults(TimestepSpacing: "linspace"))
    {
        var algorithm = config.String("algorithm_type", "dpmsolver++");
        if (algorithm != "dpmsolver++")
        {
            throw new InvalidDataException($"scheduler config: algorithm_type '{algorithm}' is not supported (dpmsolver++)");
        }

        _solverOrder = config.Int("solver_order", 2);
        if (_solverOrder is not (1 or 2))
        {
            throw new InvalidDataException($"scheduler config: solver_order {_solverOrder} is not supported (1, 2)");
        }

        var solverType = config.String("solver_type", "midpoint");
        _midpoint = solverType switch
        {
            "midpoint" => true,
            "heun" => false,
            _ => throw new InvalidDataException($"scheduler config: solver_type '{solverType}' is not supported (midpoint, heun)"),
        };
        _lowerOrderFinal = config.Bool("lower_order_final", true);
        _eulerAtFinal = config.Bool("euler_at_final", false);
        UseKarrasSigmas = config.Bool("use_karras_sigmas", false);
        FinalSigmasType = config.String("final_sigmas_type", "zero");
        if (FinalSigmasType is not ("zero" or "sigma_min"))
        {
            throw new InvalidDataException($"scheduler config: final_sigmas_type '{FinalSigmasType}' is not supported (zero, sigma_min)");
        }

        _trainSigmas = NoiseSchedule.Sigmas(AlphasCumprod);
        _logSigmas = Array.ConvertAll(_trainSigmas, Math.Log);
    }

    public override string Name => "DPMSolverMultistepScheduler";

    public bool UseKarrasSigmas { get; }

    public string FinalSigmasType { get; }

    public float[] Sigmas { get; private set; } = [];

    public override void SetTimesteps(int inferenceSteps)
    {
        CheckSteps(inferenceSteps);
        var n = NumTrainTimesteps;
        var timesteps = new double[inferenceSteps];
        switch (TimestepSpacing)
        {
            case "linspace":
                // linspace(0, n - 1, steps + 1).round()[::-1][:-1]
                for (var i = 0; i < inferenceSteps; i++)
                {
                    timesteps[i] = Math.Round((n - 1) * (double)(inferenceSteps - i) / inferenceSteps, MidpointRounding.ToEven);
                }

                break;
            case "leading":
                // arange(0, steps + 1) * (n // (steps + 1)), reversed, first dropped, + steps_offset
                var ratio = n / (inferenceSteps + 1);
                for (var i = 0; i < inferenceSteps; i++)
                {
                    timesteps[i] = ((inferenceSteps - i) * ratio) + StepsOffset;
                }

                break;
            case "trailing":
                var spaced = NoiseSchedule.Spaced("trailing", n, inferenceSteps, 0);
                for (var i = 0; i < inferenceSteps; i++)
                {
                    timesteps[i] = spaced[i];
                }

                break;
            default:
                throw new InvalidDataException($"scheduler config: timestep_spacing '{TimestepSpacing}' is not supported (leading, trailing, linspace)");
        }

        double[] sigmas;
        if (UseKarrasSigmas)
        {
            sigmas = NoiseSchedule.Karras(_trainSigmas[^1], _trainSigmas[0], inferenceSteps);
            timesteps = Array.ConvertAll(sigmas, s => Math.Round(NoiseSchedule.SigmaToTimestep(s, _logSigmas), MidpointRounding.ToEven));
        }
        else
        {
            sigmas = Array.ConvertAll(timesteps, t => NoiseSchedule.InterpolateAtTimestep(_trainSigmas, t));
        }

        var last = FinalSigmasType == "zero" ? 0f : (float)_trainSigmas[0];
        Sigmas = [.. sigmas.Select(s => (float)s), last];
        TimestepArray = Array.ConvertAll(timesteps, t => (float)(long)t);
        InferenceSteps = TimestepArray.Length;
        _modelOutputs.Clear();
        _lowerOrderNums = 0;
        ResetStepIndex();
    }

    public override float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null)
    {
        var index = CurrentStepIndex(timestep);
        var count = TimestepArray.Length;
        var lowerOrderFinal = index == count - 1 && (_eulerAtFinal || (_lowerOrderFinal && count < 15) || FinalSigmasType == "zero");

        var x0 = ConvertModelOutput(modelOutput, sample, Sigmas[index]);
        _modelOutputs.Add(x0);
        if (_modelOutputs.Count > _solverOrder)
        {
            _modelOutputs.RemoveAt(0);
        }

        var result = _solverOrder == 1 || _lowerOrderNums < 1 || lowerOrderFinal
            ? FirstOrderUpdate(x0, sample, index)
            : SecondOrderUpdate(sample, index);
        if (_lowerOrderNums < _solverOrder)
        {
            _lowerOrderNums++;
        }

        StepIndex = index + 1;
        return result;
    }

    public override float[] AddNoise(float[] original, float[] noise, float timestep)
    {
        RequireTimesteps();
        var (alpha, sigma) = AlphaSigma(Sigmas[StepIndex ?? IndexForTimestep(timestep)]);
        var result = new float[original.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (alpha * original[i]) + (sigma * noise[i]);
        }

        return result;
    }

    /// <summary>alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha_t.</summary>
    private static (float Alpha, float Sigma) AlphaSigma(float sigma)
    {
        var alpha = 1f / MathF.Sqrt((sigma * sigma) + 1f);
        return (alpha, sigma * alpha);
    }

    private static double Lambda(float sigma)
    {
        var (alpha, s) = AlphaSigma(sigma);
        return Math.Log(alpha) - Math.Log(s);
    }

    private float[] ConvertModelOutput(float[] modelOutput, float[] sample, float sigmaValue)
    {
        var (alpha, sigma) = AlphaSigma(sigmaValue);
        var x0 = new float[sample.Length];
        for (var i = 0; i < x0.Length; i++)
        {
            x0[i] = Prediction switch
            {
                PredictionType.Epsilon => (sample[i] - (sigma * modelOutput[i])) / alpha,
                PredictionType.VPrediction => (alpha * sample[i]) - (sigma * modelOutput[i]),
                _ => modelOutput[i],
            };
        }

        return x0;
    }

    private float[] FirstOrderUpdate(float[] x0, float[] sample, int index)
    {
        var sigmaT = Sigmas[index + 1];
        var sigmaS = Sigmas[index];
        var (alphaT, sT) = AlphaSigma(sigmaT);
        var (_, sS) = AlphaSigma(sigmaS);
        var h = Lambda(sigmaT) - Lambda(sigmaS);
        var ratio = sT / sS;
        var coeff = (float)(alphaT * (Math.Exp(-h) - 1.0));
        var result = new float[sample.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = (ratio * sample[i]) - (coeff * x0[i]);
        }

        return result;
    }

    private float[] SecondOrderUpdate(float[] sample, int index)
    {
        var sigmaT = Sigmas[index + 1];
        var sigmaS0 = Sigmas[index];
        var sigmaS1 = Sigmas[index - 1];
        var (alphaT, sT) = AlphaSigma(sigmaT);
        var (_, sS0) = AlphaSigma(sigmaS0);
        var lambdaT = Lambda(sigmaT);
        var lambdaS0 = Lambda(sigmaS0);
        var lambdaS1 = Lambda(sigmaS1);
        var m0 = _modelOutputs[^1];
        var m1 = _modelOutputs[^2];
        var h = lambdaT - lambdaS0;
        var r0 = (lambdaS0 - lambdaS1) / h;
        var ratio = sT / sS0;
        var expm1 = Math.Exp(-h) - 1.0;
        var c0 = (float)(alphaT * expm1);
        // midpoint: - 0.5 * alpha_t * (e^-h - 1) * D1;  heun: + alpha_t * ((e^-h - 1) / h + 1) * D1
        var c1 = _midpoint ? (float)(0.5 * alphaT * expm1) : (float)(-alphaT * ((expm1 / h) + 1.0));
        var result = new float[sample.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var d1 = (float)((m0[i] - m1[i]) / r0);
            result[i] = (ratio * sample[i]) - (c0 * m0[i]) - (c1 * d1);
        }

        return result;
    }
}
