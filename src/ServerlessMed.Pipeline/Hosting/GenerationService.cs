using Microsoft.Extensions.Logging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>A started generation host: its model, its stage and the processor that pumps the queue into it. Built
/// in one place (<see cref="Create"/>) for the GPU worker (<see cref="GenerationRuntime"/>) and the local hosts
/// (<see cref="GenerationHost"/>); it needs storage, the queue and the diffusion model only: no tenant key, no
/// de-identification policy, no encoder.</summary>
public sealed record GenerationService(DiffusionModel Model, GenerationStage Stage, QueueProcessor Processor)
{
    /// <param name="processing">Deliveries and lease of the queue pump.</param>
    public static GenerationService Create(TenantStorage storage, IJobQueue queue, DiffusionModel model, TenantStorageOptions processing, ILogger logger, StageMetrics metrics)
    {
        var stage = new GenerationStage(storage, new DiffusionPipeline(model), logger, metrics);
        return new GenerationService(model, stage, StageProcessors.Generation(stage, queue, processing, logger));
    }
}
