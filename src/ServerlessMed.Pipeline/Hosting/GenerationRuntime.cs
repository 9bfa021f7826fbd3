using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The generation host's parts, built from its settings: storage and queue clients at once, the diffusion
/// model (from the models container, cached by content, or a local folder) when <see cref="StartAsync"/> is called.</summary>
public sealed class GenerationRuntime : IAsyncDisposable
{
    private readonly GenerationHostSettings _settings;
    private readonly ILogger _logger;
    private readonly AsyncInitializer<GenerationService> _service;

    public GenerationRuntime(IOptions<GenerationHostSettings> settings, AzureClients clients, StageMetrics metrics, ILoggerFactory loggers)
    {
        _settings = settings.Value;
        Metrics = metrics;
        _logger = loggers.CreateLogger("ServerlessMed.Generation");
        Storage = clients.Storage(_settings.Storage);
        GenerationQueue = clients.GenerationQueue(_settings.GenerationQueue, Storage);
        _service = new AsyncInitializer<GenerationService>(CreateAsync);
    }

    public TenantStorage Storage { get; }

    public IJobQueue GenerationQueue { get; }

    public StageMetrics Metrics { get; }

    /// <summary>The running service once started, else null.</summary>
    public GenerationService? Service => _service.ValueOrNull;

    /// <summary>Loads the model (once). With <c>SMED_EXECUTION_PROVIDER=Cuda</c> and no usable CUDA provider this
    /// throws <see cref="InvalidOperationException"/>; with Auto the factory logs one line and the model runs on CPU.</summary>
    public Task<GenerationService> StartAsync(CancellationToken cancellationToken = default) => _service.GetAsync(cancellationToken);

    private async Task<GenerationService> CreateAsync(CancellationToken cancellationToken)
    {
        var folder = _settings.Diffusion.ModelId is { } id
            ? await new ModelCache(Storage, _settings.Diffusion.CacheFolder, _logger).GetAsync(id, cancellationToken).ConfigureAwait(false)
            : _settings.Diffusion.LocalFolder!;
        var factory = new OnnxSessionFactory(_settings.Onnx, m => _logger.LogWarning("{Message}", m));
        var options = new TenantStorageOptions { MaxDeliveryCount = _settings.MaxDeliveryCount, Lease = _settings.Lease };
        return GenerationService.Create(Storage, GenerationQueue, new DiffusionModel(folder, factory), options, _logger, Metrics);
    }

    public async ValueTask DisposeAsync()
    {
        _service.ValueOrNull?.Model.Dispose();
        if (GenerationQueue is IAsyncDisposable d)
        {
            await d.DisposeAsync().ConfigureAwait(false);
        }
    }
}
