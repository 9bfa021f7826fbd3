using Microsoft.Extensions.Configuration;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Everything the generation host (the GPU worker) reads from configuration; <see cref="Problems"/> lists
/// each missing or wrong setting by name.</summary>
public sealed class GenerationHostSettings : IHostSettings
{
    public TenantStorageOptions Storage { get; private set; } = new();

    public GenerationQueueSettings GenerationQueue { get; private set; } = new();

    public ModelSettings Diffusion { get; private set; } = new();

    public OnnxSessionOptions Onnx { get; private set; } = new();

    /// <summary>Deliveries of a request before it is dead-lettered: the queue's own maxDeliveryCount.</summary>
    public int MaxDeliveryCount { get; private set; } = 5;

    /// <summary>The queue's lock duration (Service Bus) or the visibility lease asked for (storage queue); a running
    /// job's lock is renewed every third of it.</summary>
    public TimeSpan Lease { get; private set; } = TimeSpan.FromMinutes(5);

    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>Fills this instance from configuration (the options factory creates it, then calls this).</summary>
    public void Load(IConfiguration configuration)
    {
        var settings = new SettingsReader(configuration);
        var cudnn = settings.String(Settings.CudnnConvAlgoSearch)?.ToUpperInvariant() ?? "EXHAUSTIVE";
        if (cudnn is not ("EXHAUSTIVE" or "HEURISTIC" or "DEFAULT"))
        {
            settings.Fail(Settings.CudnnConvAlgoSearch, "must be EXHAUSTIVE, HEURISTIC or DEFAULT");
        }

        // On Service Bus the worker touches only blobs; with the storage queue (Azurite) its connection string serves both.
        Storage = StorageSettings.Read(settings, needsQueueService: false);
        var queue = GenerationQueueSettings.Read(settings, Storage);
        GenerationQueue = queue;
        Diffusion = ModelSettings.Read(settings, Settings.DiffusionModelId, Settings.DiffusionModelFolder, "diffusion model");
        Onnx = new OnnxSessionOptions
        {
            Provider = settings.Enum<ExecutionProviderPreference>(Settings.ExecutionProvider) ?? ExecutionProviderPreference.Auto,
            DeviceId = settings.Int(Settings.CudaDevice, 0, 63) ?? 0,
            CudnnConvAlgoSearch = cudnn,
            // All cores: the worker runs one job at a time.
            IntraOpThreads = 0,
        };
        MaxDeliveryCount = settings.Int(Settings.MaxDeliveryCount, 1, 2000) ?? 5;
        Lease = TimeSpan.FromSeconds(settings.Int(Settings.LeaseSeconds, 5, 300) ?? 300);
        Problems = settings.Errors;
    }
}
