using Microsoft.Extensions.Logging;
using ServerlessMed.Deid;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Events;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline;

/// <summary>Everything a host needs, wired from options: storage, queues, the stages and their processors.
/// The CLI, the Functions handler and the GPU worker each build one and call the parts they run.</summary>
public sealed class PipelineHost : IDisposable
{
    private PipelineHost(TenantStorage storage, DeidPolicy policy, ImageEncoder? encoder, DiffusionModel? diffusion, ILogger logger, StageMetrics metrics, Deidentifier deidentifier, IJobQueue? generationQueue, EncoderBatchingOptions batching)
    {
        Storage = storage;
        Policy = policy;
        Encoder = encoder;
        Diffusion = diffusion;
        Metrics = metrics;
        IngestQueue = new StorageJobQueue(storage.Queue(storage.Options.IngestQueue), storage.Queue(storage.Options.IngestQueue + "-poison"));
        GenerationQueue = generationQueue ?? new StorageJobQueue(storage.Queue(storage.Options.GenerationQueue), storage.Queue(storage.Options.GenerationQueue + "-poison"));
        EventSource = new LocalEventSource(storage, IngestQueue);
        Ingest = new IngestStage(storage, deidentifier, encoder, policy, GenerationQueue, logger, metrics, batching);
        Generation = diffusion is null ? null : new GenerationStage(storage, new DiffusionPipeline(diffusion), logger, metrics);
        IngestProcessor = StageProcessors.Ingest(Ingest, IngestQueue, storage.Options, logger);
        GenerationProcessor = Generation is null ? null : StageProcessors.Generation(Generation, GenerationQueue, storage.Options, logger);
    }

    public TenantStorage Storage { get; }

    public DeidPolicy Policy { get; }

    public ImageEncoder? Encoder { get; }

    public DiffusionModel? Diffusion { get; }

    public StageMetrics Metrics { get; }

    public IJobQueue IngestQueue { get; }

    public IJobQueue GenerationQueue { get; }

    public LocalEventSource EventSource { get; }

    public IngestStage Ingest { get; }

    public GenerationStage? Generation { get; }

    public QueueProcessor IngestProcessor { get; }

    public QueueProcessor? GenerationProcessor { get; }

    public static PipelineHost Create(PipelineHostOptions options, ILogger logger)
    {
        var factory = new OnnxSessionFactory(options.Onnx, m => logger.LogWarning("{Message}", m));
        var encoder = options.EncoderFolder is { } ef ? new ImageEncoder(ef, factory) : null;
        var diffusion = options.DiffusionFolder is { } df ? new DiffusionModel(df, factory) : null;
        var deid = new Deidentifier(options.Key, options.Policy);
        return new PipelineHost(new TenantStorage(options.Storage), options.Policy, encoder, diffusion, logger, new StageMetrics(), deid, options.GenerationQueue, options.EncoderBatching);
    }

    /// <summary>Runs the local event source and both stages until nothing is left to do: no uploads, empty queues.</summary>
    public async Task RunUntilIdleAsync(bool runGeneration, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var idleRounds = 0;
        while (idleRounds < 2)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var work = await EventSource.PollAsync(cancellationToken).ConfigureAwait(false);
            int handled;
            while ((handled = await IngestProcessor.ProcessAvailableAsync(cancellationToken).ConfigureAwait(false)) > 0)
            {
                work += handled;
                progress?.Report($"ingest: {Metrics.Get("deidentified")} de-identified, {Metrics.Get("quarantined")} quarantined");
            }

            if (runGeneration && GenerationProcessor is not null)
            {
                while ((handled = await GenerationProcessor.ProcessAvailableAsync(cancellationToken).ConfigureAwait(false)) > 0)
                {
                    work += handled;
                    progress?.Report($"generation: {Metrics.Get("generated")} image(s)");
                }
            }

            var pending = await IngestQueue.CountAsync(cancellationToken).ConfigureAwait(false)
                + (runGeneration ? await GenerationQueue.CountAsync(cancellationToken).ConfigureAwait(false) : 0);
            idleRounds = work == 0 && pending == 0 ? idleRounds + 1 : 0;
            if (work == 0 && pending > 0)
            {
                // Messages leased by an earlier, crashed run come back when their lease ends.
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        Ingest.Dispose();
        Encoder?.Dispose();
        Diffusion?.Dispose();
    }
}

public sealed class PipelineHostOptions
{
    public required TenantStorageOptions Storage { get; init; }

    public required TenantKey Key { get; init; }

    public DeidPolicy Policy { get; init; } = DeidPolicy.Default;

    public string? EncoderFolder { get; init; }

    public string? DiffusionFolder { get; init; }

    public OnnxSessionOptions Onnx { get; init; } = new();

    /// <summary>How the ingest stage batches frames of concurrently handled instances into encoder runs.</summary>
    public EncoderBatchingOptions EncoderBatching { get; init; } = new();

    /// <summary>The generation queue's transport; null: the tenant storage account's queue. The Azure hosts build
    /// theirs from settings (Hosting/).</summary>
    public IJobQueue? GenerationQueue { get; init; }
}
