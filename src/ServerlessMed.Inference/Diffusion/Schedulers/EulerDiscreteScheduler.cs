namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>Euler (diffusers EulerDiscreteScheduler, Algorithm 2 of Karras et al. with s_churn = 0): one
/// deterministic Euler step of the probability-flow ODE per timestep.</summary>
public sealed class EulerDiscreteScheduler(SchedulerConfig config) : SigmaScheduler(config)
{
    public override string Name => "EulerDiscreteScheduler";

    public override float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null)
    {
        var index = CurrentStepIndex(timestep);
        var sigma = Sigmas[index];
        var dt = Sigmas[index + 1] - sigma;
        var result = new float[sample.Length];
        for (var i = 0; i < result.Length; i++)
        {
            var x0 = PredictOriginal(modelOutput[i], sample[i], sigma);
            var derivative = (sample[i] - x0) / sigma;
            result[i] = sample[i] + (derivative * dt);
        }

        StepIndex = index + 1;
        return result;
    }
}
