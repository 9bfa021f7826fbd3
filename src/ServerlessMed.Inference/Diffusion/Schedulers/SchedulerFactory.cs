namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>Builds a scheduler from a model's scheduler_config.json, as diffusers' <c>Scheduler.from_config</c> does
/// when a pipeline swaps its scheduler: by our short name (the <c>smed generate --scheduler</c> values) or by diffusers
/// class name.</summary>
public static class SchedulerFactory
{
    /// <summary>The names <c>--scheduler</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ddim", "pndm", "euler", "euler-a", "dpm++2m", "dpm++2m-karras", "lcm"];

    public static IScheduler Create(string name, SchedulerConfig config) => name switch
    {
        "ddim" or "DDIMScheduler" => new DdimScheduler(config),
        "pndm" or "PNDMScheduler" => new PndmScheduler(config),
        "euler" or "EulerDiscreteScheduler" => new EulerDiscreteScheduler(config),
        "euler-a" or "EulerAncestralDiscreteScheduler" => new EulerAncestralScheduler(config),
        "dpm++2m" => new DpmSolverMultistepScheduler(config.With("use_karras_sigmas", false)),
        "dpm++2m-karras" => new DpmSolverMultistepScheduler(config.With("use_karras_sigmas", true)),
        "DPMSolverMultistepScheduler" => new DpmSolverMultistepScheduler(config),
        "lcm" or "LCMScheduler" => new LcmScheduler(config),
        _ => throw new ArgumentException($"scheduler '{name}' is not supported ({string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>The scheduler the model folder names in its config.</summary>
    public static IScheduler FromConfig(SchedulerConfig config) => Create(config.ClassName.Length == 0 ? "DDIMScheduler" : config.ClassName, config);
}
