namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>Euler ancestral (diffusers EulerAncestralDiscreteScheduler): an Euler step down to sigma_down, then fresh
/// noise of standard deviation sigma_up, so sigma_down^2 + sigma_up^2 = sigma_next^2.</summary>
public sealed class EulerAncestralScheduler : SigmaScheduler
{
    public EulerAncestralScheduler(SchedulerConfig config)
        : base(config)
    {
        if (Prediction == PredictionType.Sample)
        {
            throw new InvalidDataException("scheduler config: EulerAncestralDiscreteScheduler supports prediction_type epsilon and v_prediction only");
        }
    }

    public override string Name => "EulerAncestralDiscreteScheduler";

    public override float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null)
    {
        var index = CurrentStepIndex(timestep);
        var sigmaFrom = Sigmas[index];
        var sigmaTo = Sigmas[index + 1];
        var sigmaUp = MathF.Sqrt(sigmaTo * sigmaTo * ((sigmaFrom * sigmaFrom) - (sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom));
        var sigmaDown = MathF.Sqrt((sigmaTo * sigmaTo) - (sigmaUp * sigmaUp));
        var dt = sigmaDown - sigmaFrom;
        if (sigmaUp > 0 && noise is null)
        {
            throw new ArgumentNullException(nameof(noise), "Euler ancestral adds noise at every step but the last: pass a seeded GaussianNoise");
        }

        var result = new float[sample.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var x0 = PredictOriginal(modelOutput[i], sample[i], sigmaFrom);
            var derivative = (sample[i] - x0) / sigmaFrom;
            result[i] = sample[i] + (derivative * dt);
        }

        if (sigmaUp > 0)
        {
            var z = noise!.Sample(result.Length);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(z, sigmaUp, result, result);
        }

        StepIndex = index + 1;
        return result;
    }
}
