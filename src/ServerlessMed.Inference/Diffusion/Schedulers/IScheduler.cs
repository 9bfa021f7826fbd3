namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>A noise scheduler with diffusers' contract: <see cref="SetTimesteps"/> once, then for each timestep
/// <see cref="ScaleModelInput"/> before the model and <see cref="Step"/> after it. Timesteps are floats because
/// sigma-based schedulers (Euler, Karras spacing) use fractional training timesteps.</summary>
public interface IScheduler
{
    /// <summary>diffusers' class name, e.g. EulerDiscreteScheduler (recorded in provenance).</summary>
    string Name { get; }

    IReadOnlyList<float> Timesteps { get; }

    /// <summary>Standard deviation of the initial noise: 1 for alpha-based schedulers, the largest sigma (or
    /// sqrt(sigma^2 + 1)) for sigma-based ones.</summary>
    float InitNoiseSigma { get; }

    /// <summary>Model evaluations per timestep entry (diffusers' <c>order</c>), used to cut the schedule for img2img.</summary>
    int Order { get; }

    void SetTimesteps(int inferenceSteps);

    /// <summary>Start stepping at this index of <see cref="Timesteps"/> (img2img), instead of looking the first timestep up.</summary>
    void SetBeginIndex(int beginIndex);

    float[] ScaleModelInput(float[] sample, float timestep);

    /// <summary>The previous (less noisy) sample. <paramref name="noise"/> supplies randomness for the stochastic
    /// schedulers (Euler ancestral, LCM); the deterministic ones ignore it.</summary>
    float[] Step(float[] modelOutput, float timestep, float[] sample, GaussianNoise? noise = null);

    /// <summary>The forward process: <paramref name="original"/> noised to <paramref name="timestep"/>.</summary>
    float[] AddNoise(float[] original, float[] noise, float timestep);
}
