namespace ServerlessMed.Inference.Diffusion;

/// <summary>A noise scheduler with diffusers' contract: SetTimesteps, then for each timestep ScaleModelInput
/// before the model and Step after it.</summary>
public interface IScheduler
{
    IReadOnlyList<int> Timesteps { get; }

    /// <summary>Standard deviation of the initial noise (1 for DDIM/PNDM, the largest sigma for Euler-type).</summary>
    float InitNoiseSigma { get; }

    void SetTimesteps(int inferenceSteps);

    float[] ScaleModelInput(float[] sample, int timestep);

    /// <summary>The previous (less noisy) sample. <paramref name="noise"/> supplies randomness for stochastic schedulers.</summary>
    float[] Step(float[] modelOutput, int timestep, float[] sample, GaussianNoise? noise = null);
}
