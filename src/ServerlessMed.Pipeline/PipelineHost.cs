using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Pipeline.Events;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline;

/// <summary>Both stages in one process: an <see cref="IngestHost"/> (with the local event source, a blob listing
/// standing in for Event Grid) and, when a diffusion model is given, a <see cref="GenerationHost"/>, sharing storage,
/// the generation queue and one set of counters. What <c>smed run</c>, <c>smed demo</c>, the benches and the Azurite
/// tests run. <see cref="FromSettingsAsync"/> builds it from the same settings and runtimes as the Azure hosts;
/// <see cref="Create"/> from model folders and a key, for tests.</summary>
public sealed class PipelineHost : IDisposable
{
    private readonly IngestHost _ingest;
    private readonly GenerationHost? _generation;
    private readonly IAsyncDisposable? _owner;

    private PipelineHost(IngestHost ingest, GenerationHost? generation, StageMetrics metrics, IAsyncDisposable? owner)
    {
        _ingest = ingest;
        _generation = generation;
        Metrics = metrics;
        _owner = owner;
    }

    public TenantStorage Storage => _ingest.Storage;

    public TenantPolicy Policy => _ingest.Policy;

    public ImageEncoder? Encoder => _ingest.Encoder;

    public DiffusionModel? Diffusion => _generation?.Diffusion;

    public StageMetrics Metrics { get; }

    public IJobQueue IngestQueue => _ingest.IngestQueue;

    public IJobQueue GenerationQueue => _ingest.GenerationQueue;

    public LocalEventSource EventSource => _ingest.EventSource;

    public IngestStage Ingest => _ingest.Stage;

    public GenerationStage? Generation => _generation?.Generation;

    public QueueProcessor IngestProcessor => _ingest.Processor;

    public QueueProcessor? GenerationProcessor => _generation?.GenerationProcessor;

    public static PipelineHost Create(PipelineHostOptions options, ILogger logger)
    {
        var storage = new TenantStorage(options.Storage);
        var metrics = new StageMetrics();
        var ingest = IngestHost.Create(storage, options, logger, metrics);
        var generation = options.DiffusionFolder is { } folder
            ? GenerationHost.Create(storage, ingest.GenerationQueue, folder, options.Onnx, logger, metrics)
            : null;
        return new PipelineHost(ingest, generation, metrics, owner: null);
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
            var runtime = provider.GetRequiredService<IngestRuntime>();
            var stage = await runtime.StageAsync(cancellationToken).ConfigureAwait(false);
            var logger = loggers.CreateLogger("ServerlessMed.Pipeline");
            // The runtimes own the stages, the models and the queue clients: the provider disposes them.
            var ingest = new IngestHost(runtime.Storage, runtime.Policy, runtime.Encoder, stage, runtime.GenerationQueue, processing ?? runtime.Storage.Options, logger, ownsParts: false);
            GenerationHost? generationHost = null;
            if (generation)
            {
                var generationRuntime = provider.GetRequiredService<GenerationRuntime>();
                var service = await generationRuntime.StartAsync(cancellationToken).ConfigureAwait(false);
                // Pumped here with the local lease and deliveries, from the queue the ingest stage sends to.
                var local = service with { Processor = StageProcessors.Generation(service.Stage, runtime.GenerationQueue, processing ?? runtime.Storage.Options, logger) };
                generationHost = new GenerationHost(runtime.Storage, runtime.GenerationQueue, local, ownsModel: false);
            }

            return new PipelineHost(ingest, generationHost, runtime.Metrics, provider);
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
        _generation?.Dispose();
        _ingest.Dispose();
        // The runtimes own the stage, the models and the queue clients when built from settings.
        _owner?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>What <see cref="PipelineHost.Create"/> builds both stages from: the ingest side's options and, for the
/// generation side, the diffusion model's folder (none: ingest only).</summary>
public sealed class PipelineHostOptions : IngestHostOptions
{
    public string? DiffusionFolder { get; init; }
}
