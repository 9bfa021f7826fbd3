namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>PNDM (diffusers PNDMScheduler): Runge-Kutta warm-up steps (unless skip_prk_steps, as Stable Diffusion's
/// config sets) followed by linear multistep (PLMS) steps over the last four model outputs.</summary>
public sealed class PndmScheduler : DiscreteScheduler
{
    private const int PndmOrder = 4;
    private readonly bool _skipPrkSteps;
    private readonly float _finalAlphaCumprod;
    private readonly List<float[]> _ets = [];
    private int[] _prkTimesteps = [];
    private int _counter;
    private float[]? _curSample;
    private float[]? _curModelOutput;

    public PndmScheduler(SchedulerConfig config)
        : base(config, new SchedulerDefaults())
    {
        if (Prediction == PredictionType.Sample)
        {
            throw new InvalidDataException("scheduler config: PNDMScheduler supports prediction_type epsilon and v_prediction only");
        }

        _skipPrkSteps = config.Bool("skip_prk_steps", false);
        _finalAlphaCumprod = config.Bool("set_alpha_to_one", false) ? 1f : AlphasCumprod[0];
    }

    public override string Name => "PNDMScheduler";

    public IReadOnlyList<int> PrkTimesteps => _prkTimesteps;

    public override void SetTimesteps(int inferenceSteps)
    {
        CheckSteps(inferenceSteps);
        if (!_skipPrkSteps && inferenceSteps < PndmOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps, $"PNDMScheduler: `num_inference_steps` must be >= {PndmOrder} when skip_prk_steps is false");
        }

        InferenceSteps = inferenceSteps;
        var ascending = NoiseSchedule.Spaced(TimestepSpacing, NumTrainTimesteps, inferenceSteps, StepsOffset).Reverse().ToArray();
        int[] plms;
        if (_skipPrkSteps)
        {
            // Repeat the second-to-last timestep: the first PLMS step needs a warm-up evaluation at the same t.
            _prkTimesteps = [];
            plms = ascending.Length == 1 ? [ascending[0]] : [.. ascending[..^1], ascending[^2], ascending[^1]];

            Array.Reverse(plms);
        }
        else
        {
            var half = NumTrainTimesteps / inferenceSteps / 2;
            var tail = ascending[^PndmOrder..];
            var prk = new List<int>();
            foreach (var t in tail)
            {
                prk.Add(t);
                prk.Add(t + half);
            }

            // prk[:-1].repeat(2)[1:-1], reversed
            var repeated = prk.Take(prk.Count - 1).SelectMany(t => new[] { t, t }).ToList();
            _prkTimesteps = [.. repeated.Skip(1).Take(repeated.Count - 2).Reverse()];
            plms = [.. ascending[..^3].Reverse()];
        }

        TimestepArray = ToFloats([.. _prkTimesteps, .. plms]);
        _ets.Clear();
        _counter = 0;
        _curSample = null;
        _curModelOutput = null;
        ResetStepIndex();
    }

    public override float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null)
    {
        RequireTimesteps();
        return _counter < _prkTimesteps.Length && !_skipPrkSteps
            ? StepPrk(modelOutput, TrainIndex(timestep), sample)
            : StepPlms(modelOutput, TrainIndex(timestep), sample);
    }

    private float[] StepPrk(float[] modelOutput, int timestep, float[] sample)
    {
        var diffToPrev = _counter % 2 == 1 ? 0 : NumTrainTimesteps / InferenceSteps / 2;
        var prevTimestep = timestep - diffToPrev;
        timestep = _prkTimesteps[_counter / 4 * 4];
        _curModelOutput ??= new float[modelOutput.Length];
        float[] output;
        switch (_counter % 4)
        {
            case 0:
                Accumulate(_curModelOutput, modelOutput, 1f / 6f);
                _ets.Add(modelOutput);
                _curSample = sample;
                output = modelOutput;
                break;
            case 1:
            case 2:
                Accumulate(_curModelOutput, modelOutput, 1f / 3f);
                output = modelOutput;
                break;
            default:
                output = new float[modelOutput.Length];
                for (var i = 0; i < output.Length; i++)
                {
                    output[i] = _curModelOutput[i] + (modelOutput[i] / 6f);
                }

                _curModelOutput = null;
                break;
        }

        var prev = PreviousSample(_curSample ?? sample, timestep, prevTimestep, output);
        _counter++;
        return prev;
    }

    private float[] StepPlms(float[] modelOutput, int timestep, float[] sample)
    {
        var stride = NumTrainTimesteps / InferenceSteps;
        var prevTimestep = timestep - stride;
        if (_counter != 1)
        {
            if (_ets.Count > 3)
            {
                _ets.RemoveRange(0, _ets.Count - 3);
            }

            _ets.Add(modelOutput);
        }
        else
        {
            prevTimestep = timestep;
            timestep += stride;
        }

        float[] output;
        if (_ets.Count == 1 && _counter == 0)
        {
            output = modelOutput;
            _curSample = sample;
        }
        else if (_ets.Count == 1 && _counter == 1)
        {
            output = Combine((modelOutput, 0.5f), (_ets[^1], 0.5f));
            sample = _curSample ?? sample;
            _curSample = null;
        }
        else if (_ets.Count == 2)
        {
            output = Combine((_ets[^1], 3f / 2f), (_ets[^2], -1f / 2f));
        }
        else if (_ets.Count == 3)
        {
            output = Combine((_ets[^1], 23f / 12f), (_ets[^2], -16f / 12f), (_ets[^3], 5f / 12f));
        }
        else
        {
            output = Combine((_ets[^1], 55f / 24f), (_ets[^2], -59f / 24f), (_ets[^3], 37f / 24f), (_ets[^4], -9f / 24f));
        }

        var prev = PreviousSample(sample, timestep, prevTimestep, output);
        _counter++;
        return prev;
    }

    /// <summary>Formula (9) of the PNDM paper: x_{t-δ} from x_t and the (combined) model output.</summary>
    private float[] PreviousSample(float[] sample, int timestep, int prevTimestep, float[] modelOutput)
    {
        var alphaT = AlphasCumprod[timestep];
        var alphaPrev = prevTimestep >= 0 ? AlphasCumprod[prevTimestep] : _finalAlphaCumprod;
        var betaT = 1f - alphaT;
        var betaPrev = 1f - alphaPrev;
        var sampleCoeff = MathF.Sqrt(alphaPrev / alphaT);
        var denom = (alphaT * MathF.Sqrt(betaPrev)) + MathF.Sqrt(alphaT * betaT * alphaPrev);
        var result = new float[sample.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var eps = Prediction == PredictionType.VPrediction
                ? (MathF.Sqrt(alphaT) * modelOutput[i]) + (MathF.Sqrt(betaT) * sample[i])
                : modelOutput[i];
            result[i] = (sampleCoeff * sample[i]) - ((alphaPrev - alphaT) * eps / denom);
        }

        return result;
    }

    private static void Accumulate(float[] acc, float[] values, float weight)
    {
        for (var i = 0; i < acc.Length; i++)
        {
            acc[i] += weight * values[i];
        }
    }

    private static float[] Combine(params (float[] Values, float Weight)[] terms)
    {
        var result = new float[terms[0].Values.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var sum = 0f;
            foreach (var (values, weight) in terms)
            {
                sum += weight * values[i];
            }

            result[i] = sum;
        }

        return result;
    }
}
