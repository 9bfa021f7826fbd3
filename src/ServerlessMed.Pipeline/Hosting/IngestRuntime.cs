using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The ingest host's parts, built from its settings: the storage and generation-queue clients at once (they
/// connect on first use), the stage on the first invocation (it needs the tenant key from Key Vault and the encoder
/// from the models container, so a cold start that cannot reach them fails that invocation, which is retried, instead
/// of the host).</summary>
public sealed class IngestRuntime : IAsyncDisposable
{
    private readonly IngestHostSettings _settings;
    private readonly TenantKeySource _keys;
    private readonly ILogger _logger;
    private readonly AsyncInitializer<IngestStage> _stage;
    private ImageEncoder? _encoder;

    public IngestRuntime(IOptions<IngestHostSettings> settings, AzureClients clients, StageMetrics metrics, ILoggerFactory loggers)
    {
        _settings = settings.Value;
        Metrics = metrics;
        _logger = loggers.CreateLogger("ServerlessMed.Ingest");
        Storage = clients.Storage(_settings.Storage);
        GenerationQueue = clients.GenerationQueue(_settings.GenerationQueue, Storage);
        _keys = new TenantKeySource(_settings.Key, _settings.Key.VaultUri is { } vault ? clients.Secrets(vault) : null);
        _stage = new AsyncInitializer<IngestStage>(CreateStageAsync);
    }

    public TenantStorage Storage { get; }

    public IJobQueue GenerationQueue { get; }

    public StageMetrics Metrics { get; }

    public TenantPolicy Policy => _settings.Policy;

    /// <summary>The encoder, once the stage was created.</summary>
    public ImageEncoder? Encoder => _encoder;

    public Task<IngestStage> StageAsync(CancellationToken cancellationToken = default) => _stage.GetAsync(cancellationToken);

    private async Task<IngestStage> CreateStageAsync(CancellationToken cancellationToken)
    {
        var key = await _keys.LoadAsync(cancellationToken).ConfigureAwait(false);
        var folder = await new ModelCache(Storage, _settings.Encoder.CacheFolder, _logger).GetAsync(_settings.Encoder.ModelId!, cancellationToken).ConfigureAwait(false);
        _encoder = new ImageEncoder(folder, new OnnxSessionFactory(new OnnxSessionOptions(), m => _logger.LogWarning("{Message}", m)));
        _logger.LogInformation("ingest ready: encoder {Model} on {Provider}", _encoder.ModelKey, _encoder.Provider);
        return IngestStageBuilder.Create(Storage, key, _settings.Policy, _encoder, GenerationQueue, _logger, Metrics);
    }

    public async ValueTask DisposeAsync()
    {
        _stage.ValueOrNull?.Dispose();
        _encoder?.Dispose();
        if (GenerationQueue is IAsyncDisposable d)
        {
            await d.DisposeAsync().ConfigureAwait(false);
        }
    }
}
