using Microsoft.Extensions.Logging;
using ServerlessMed.Deid;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Events;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline;

/// <summary>The ingest side of a local process: the local event source (a blob listing standing in for Event Grid),
/// the ingest queue and its pump, the stage and its encoder. <see cref="Create"/> builds it from a key and a model
/// folder (tests, benches); <see cref="PipelineHost"/> composes it with a <see cref="GenerationHost"/>.</summary>
public sealed class IngestHost : IDisposable
{
    private readonly bool _ownsParts;

    internal IngestHost(TenantStorage storage, TenantPolicy policy, ImageEncoder? encoder, IngestStage stage, IJobQueue generationQueue, TenantStorageOptions processing, ILogger logger, bool ownsParts)
    {
        Storage = storage;
        Policy = policy;
        Encoder = encoder;
        Stage = stage;
        GenerationQueue = generationQueue;
        IngestQueue = StorageJobQueue.Of(storage, storage.Options.IngestQueue);
        EventSource = new LocalEventSource(storage, IngestQueue);
        Processor = StageProcessors.Ingest(stage, IngestQueue, processing, logger);
        _ownsParts = ownsParts;
    }

    public TenantStorage Storage { get; }

    public TenantPolicy Policy { get; }

    public ImageEncoder? Encoder { get; }

    public IngestStage Stage { get; }

    public IJobQueue IngestQueue { get; }

    /// <summary>Where the stage sends generation requests.</summary>
    public IJobQueue GenerationQueue { get; }

    public LocalEventSource EventSource { get; }

    public QueueProcessor Processor { get; }

    public static IngestHost Create(IngestHostOptions options, ILogger logger, StageMetrics? metrics = null) =>
        Create(new TenantStorage(options.Storage), options, logger, metrics ?? new StageMetrics());

    internal static IngestHost Create(TenantStorage storage, IngestHostOptions options, ILogger logger, StageMetrics metrics)
    {
        var encoder = options.EncoderFolder is { } folder
            ? new ImageEncoder(folder, new OnnxSessionFactory(options.Onnx, m => logger.LogWarning("{Message}", m)))
            : null;
        var generationQueue = options.GenerationQueue ?? StorageJobQueue.Of(storage, storage.Options.GenerationQueue);
        var stage = IngestStageBuilder.Create(storage, options.Key, options.Policy, encoder, generationQueue, logger, metrics, options.EncoderBatching);
        return new IngestHost(storage, options.Policy, encoder, stage, generationQueue, storage.Options, logger, ownsParts: true);
    }

    public void Dispose()
    {
        if (_ownsParts)
        {
            Stage.Dispose();
            Encoder?.Dispose();
        }
    }
}

/// <summary>What the local ingest side is built from: storage, the tenant key and policy, the encoder's folder.</summary>
public class IngestHostOptions
{
    public required TenantStorageOptions Storage { get; init; }

    public required TenantKey Key { get; init; }

    public TenantPolicy Policy { get; init; } = TenantPolicy.Default;

    public string? EncoderFolder { get; init; }

    public OnnxSessionOptions Onnx { get; init; } = new();

    /// <summary>How the ingest stage batches frames of concurrently handled instances into encoder runs.</summary>
    public EncoderBatchingOptions EncoderBatching { get; init; } = new();

    /// <summary>The generation queue's transport; null: the tenant storage account's queue. The Azure hosts build
    /// theirs from settings (Hosting/).</summary>
    public IJobQueue? GenerationQueue { get; init; }
}
