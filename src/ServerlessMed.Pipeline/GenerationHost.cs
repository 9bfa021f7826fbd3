using Microsoft.Extensions.Logging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline;

/// <summary>The generation side of a local process: the generation queue, its pump, the stage and the diffusion
/// model (the GPU worker's half, built as <see cref="GenerationRuntime"/> builds it). Needs no tenant key, no
/// de-identification policy and no encoder. <see cref="Create"/> builds it from a model folder (tests, benches);
/// <see cref="PipelineHost"/> composes it with an <see cref="IngestHost"/>.</summary>
public sealed class GenerationHost : IDisposable
{
    private readonly bool _ownsModel;

    internal GenerationHost(TenantStorage storage, IJobQueue queue, GenerationService service, bool ownsModel)
    {
        Storage = storage;
        GenerationQueue = queue;
        Diffusion = service.Model;
        Generation = service.Stage;
        GenerationProcessor = service.Processor;
        _ownsModel = ownsModel;
    }

    public TenantStorage Storage { get; }

    public IJobQueue GenerationQueue { get; }

    public DiffusionModel Diffusion { get; }

    public GenerationStage Generation { get; }

    public QueueProcessor GenerationProcessor { get; }

    public static GenerationHost Create(GenerationHostOptions options, ILogger logger, StageMetrics? metrics = null)
    {
        var storage = new TenantStorage(options.Storage);
        return Create(storage, options.GenerationQueue ?? StorageJobQueue.Of(storage, storage.Options.GenerationQueue), options.DiffusionFolder, options.Onnx, logger, metrics ?? new StageMetrics());
    }

    internal static GenerationHost Create(TenantStorage storage, IJobQueue queue, string diffusionFolder, OnnxSessionOptions onnx, ILogger logger, StageMetrics metrics)
    {
        var model = new DiffusionModel(diffusionFolder, new OnnxSessionFactory(onnx, m => logger.LogWarning("{Message}", m)));
        return new GenerationHost(storage, queue, GenerationService.Create(storage, queue, model, storage.Options, logger, metrics), ownsModel: true);
    }

    public void Dispose()
    {
        if (_ownsModel)
        {
            Diffusion.Dispose();
        }
    }
}

/// <summary>What the local generation side is built from: storage and the diffusion model's folder.</summary>
public sealed class GenerationHostOptions
{
    public required TenantStorageOptions Storage { get; init; }

    public required string DiffusionFolder { get; init; }

    public OnnxSessionOptions Onnx { get; init; } = new();

    /// <summary>The generation queue's transport; null: the tenant storage account's queue.</summary>
    public IJobQueue? GenerationQueue { get; init; }
}
