using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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

/// <summary>Both stages in one process, with the local event source (a blob listing standing in for Event Grid):
/// what <c>smed run</c>, <c>smed demo</c>, the benches and the Azurite tests run. <see cref="FromSettingsAsync"/> builds it
/// from the same settings and runtimes as the Azure hosts; <see cref="Create"/> from model folders and a key, for tests.</summary>
public sealed class PipelineHost : IDisposable
{
    private readonly IAsyncDisposable? _owner;

    private PipelineHost(TenantStorage storage, DeidPolicy policy, ImageEncoder? encoder, IngestStage ingest, IJobQueue generationQueue, GenerationStage? generation, DiffusionModel? diffusion, StageMetrics metrics, TenantStorageOptions processing, ILogger logger, IAsyncDisposable? owner)
    {
        Storage = storage;
        Policy = policy;
        Encoder = encoder;
        Diffusion = diffusion;
        Metrics = metrics;
        _owner = owner;
        IngestQueue = new StorageJobQueue(storage.Queue(storage.Options.IngestQueue), storage.Queue(storage.Options.IngestQueue + "-poison"));
        GenerationQueue = generationQueue;
        EventSource = new LocalEventSource(storage, IngestQueue);
        Ingest = ingest;
        Generation = generation;
        IngestProcessor = StageProcessors.Ingest(Ingest, IngestQueue, processing, logger);
        GenerationProcessor = Generation is null ? null : StageProcessors.Generation(Generation, GenerationQueue, processing, logger);
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
        var storage = new TenantStorage(options.Storage);
        var metrics = new StageMetrics();
        var generationQueue = options.GenerationQueue ?? new StorageJobQueue(storage.Queue(storage.Options.GenerationQueue), storage.Queue(storage.Options.GenerationQueue + "-poison"));
        var ingest = new IngestStage(storage, new Deidentifier(options.Key, options.Policy), encoder, options.Policy, generationQueue, logger, metrics, options.EncoderBatching);
        var generation = diffusion is null ? null : new GenerationStage(storage, new DiffusionPipeline(diffusion), logger, metrics);
        return new PipelineHost(storage, options.Policy, encoder, ingest, generationQueue, generation, diffusion, metrics, storage.Options, logger, owner: null);
    }

    /// <summary>Builds both stages from host settings (<see cref="Settings"/>: TenantStorage, SMED_KEY_FILE or KeyVault,
    /// SMED_POLICY, SMED_ENCODER_MODEL_ID, SMED_DIFFUSION_MODEL_ID, ...) through the same registrations and runtimes as
    /// the Functions app and the GPU worker; models come from the tenant's models container.</summary>
    /// <param name="generation">Run the generation stage too (needs the diffusion model's settings).</param>
    /// <param name="processing">Lease, deliveries and concurrency of the local queue pumps (default: the storage defaults).</param>
    /// <exception cref="OptionsValidationException">A setting is missing or wrong (each named).</exception>
    public static async Task<PipelineHost> FromSettingsAsync(IConfiguration configuration, ILoggerFactory loggers, bool generation, TenantStorageOptions? processing = null, CancellationToken cancellationToken = default)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggers);
        services.AddServerlessMedIngest(configuration);
        if (generation)
        {
            services.AddServerlessMedGeneration(configuration);
        }

        var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            var ingest = provider.GetRequiredService<IngestRuntime>();
            var stage = await ingest.StageAsync(cancellationToken).ConfigureAwait(false);
            var service = generation
                ? await provider.GetRequiredService<GenerationRuntime>().StartAsync(cancellationToken).ConfigureAwait(false)
                : null;
            var logger = loggers.CreateLogger("ServerlessMed.Pipeline");
            return new PipelineHost(ingest.Storage, ingest.Policy, ingest.Encoder, stage, ingest.GenerationQueue, service?.Stage, service?.Model, ingest.Metrics, processing ?? ingest.Storage.Options, logger, provider);
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
        if (_owner is not null)
        {
            // The runtimes own the stage, the models and the queue clients.
            _owner.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return;
        }

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
