namespace ServerlessMed.Pipeline.Storage;

/// <summary>Where one tenant's data lives: the storage account and the container and queue names of the design.</summary>
public sealed class TenantStorageOptions
{
    /// <summary>A storage connection string (Azurite locally). In Azure, use <see cref="BlobServiceUri"/> and a credential instead.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>https://{account}.blob.core.windows.net/ (setting TenantStorage__blobServiceUri).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>https://{account}.queue.core.windows.net/ (setting TenantStorage__queueServiceUri).</summary>
    public Uri? QueueServiceUri { get; set; }

    public string Uploads { get; init; } = "uploads";

    public string Deid { get; init; } = "deid";

    public string Embeddings { get; init; } = "embeddings";

    public string Audit { get; init; } = "audit";

    public string Quarantine { get; init; } = "quarantine";

    public string Generated { get; init; } = "generated";

    public string Models { get; init; } = "models";

    public string IngestQueue { get; init; } = "ingest";

    public string GenerationQueue { get; init; } = "generation";

    /// <summary>Deliveries of one message before it moves to the queue's "-poison" queue.</summary>
    public int MaxDeliveryCount { get; init; } = 5;

    /// <summary>How long a received message stays invisible; renewed every third of it while a job runs, so a
    /// crashed runner's messages come back after at most this long.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Ingest messages received and handled at once (downloads and uploads wait on the network, so more than
    /// the cores; no more than are handled at once are received, so none waits out its lease in a batch).</summary>
    public int IngestConcurrency { get; init; } = Math.Min(32, Environment.ProcessorCount * 4);

    /// <summary>Limits on expanding zip uploads (entries, sizes, compression ratio); beyond them a zip is quarantined.</summary>
    public ServerlessMed.Files.Archives.ZipLimits ZipLimits { get; init; } = new();

    /// <summary>Retries of one storage request by the SDK before the error reaches the pipeline's own back-off.</summary>
    public int RequestRetries { get; init; } = 3;

    /// <summary>Keep raw uploads after successful processing (policy keepRaw).</summary>
    public bool KeepRaw { get; init; }

    /// <summary>Extra per-call policies on the blob client (the load bench's <see cref="RequestCounter"/>); none in the hosts.</summary>
    public IReadOnlyList<Azure.Core.Pipeline.HttpPipelinePolicy> BlobPolicies { get; init; } = [];

    /// <summary>Extra per-call policies on the queue client.</summary>
    public IReadOnlyList<Azure.Core.Pipeline.HttpPipelinePolicy> QueuePolicies { get; init; } = [];

    public IEnumerable<string> Containers => [Uploads, Deid, Embeddings, Audit, Quarantine, Generated, Models];

    public IEnumerable<string> Queues => [IngestQueue, IngestQueue + "-poison", GenerationQueue, GenerationQueue + "-poison"];
}
