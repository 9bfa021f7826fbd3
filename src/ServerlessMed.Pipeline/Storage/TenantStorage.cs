using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>The tenant's blob containers and queues. Clients are created once and shared (they are thread-safe).</summary>
public sealed class TenantStorage
{
    private readonly QueueServiceClient? _queueService;

    /// <param name="options">Where the data lives: a connection string (Azurite), or service URIs with <paramref name="credential"/>.</param>
    /// <param name="credential">The host's identity, for service URIs (never shared keys in Azure).</param>
    /// <param name="configure">Applied to both clients' options (transport, diagnostics): see AzureClientDefaults.</param>
    public TenantStorage(TenantStorageOptions options, Azure.Core.TokenCredential? credential = null, Action<Azure.Core.ClientOptions>? configure = null)
    {
        Options = options;
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var blobOptions = new BlobClientOptions();
        // The SDK retries a failed request briefly (a blip); a longer outage surfaces and the callers' back-off
        // (Resilience.Storage) waits it out with a log line, instead of every request hanging for half a minute.
        foreach (var retry in new[] { queueOptions.Retry, blobOptions.Retry })
        {
            retry.MaxRetries = options.RequestRetries;
            retry.Delay = TimeSpan.FromMilliseconds(400);
            retry.MaxDelay = TimeSpan.FromSeconds(4);
        }

        foreach (var policy in options.BlobPolicies)
        {
            blobOptions.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerCall);
        }

        foreach (var policy in options.QueuePolicies)
        {
            queueOptions.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerCall);
        }

        configure?.Invoke(queueOptions);
        configure?.Invoke(blobOptions);

        if (options.ConnectionString is { Length: > 0 } cs)
        {
            Blobs = new BlobServiceClient(cs, blobOptions);
            _queueService = new QueueServiceClient(cs, queueOptions);
        }
        else if (options.BlobServiceUri is not null && credential is not null)
        {
            Blobs = new BlobServiceClient(options.BlobServiceUri, credential, blobOptions);
            // A host that needs no storage queue (the GPU worker on Service Bus) is given no queue URI; asking it for
            // a queue then fails naming the setting, not with a null reference.
            _queueService = options.QueueServiceUri is { } q ? new QueueServiceClient(q, credential, queueOptions) : null;
        }
        else
        {
            throw new ArgumentException("storage needs a connection string, or a blob service URI with a credential");
        }
    }

    public TenantStorageOptions Options { get; }

    public BlobServiceClient Blobs { get; }

    public QueueServiceClient QueueService => _queueService ?? throw new InvalidOperationException("this host has no queue service: set TenantStorage__queueServiceUri");

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);

    public QueueClient Queue(string name) => QueueService.GetQueueClient(name);

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var c in Options.Containers)
        {
            await Container(c).CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var q in Options.Queues)
        {
            await Queue(q).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a blob only if it does not exist (If-None-Match: *), with its metadata in the same request.
    /// True when written, false when it was already there: a duplicate delivery of the same work is harmless. One
    /// request either way for content under the SDK's single-upload size (256 MiB): a seekable stream of known length
    /// is one Put Blob, and a 409 is answered from that request's response (no follow-up read).</summary>
    public Task<bool> WriteOnceAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default, IDictionary<string, string>? metadata = null) =>
        WriteOnceAsync(container, name, content.ToStream(), contentType, metadata, cancellationToken);

    /// <summary>The same, streaming a local file.</summary>
    public async Task<bool> WriteOnceAsync(string container, string name, string path, string contentType, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        return await WriteOnceAsync(container, name, stream, contentType, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> WriteOnceAsync(string container, string name, Stream content, string contentType, IDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        try
        {
            await Container(container).GetBlobClient(name).UploadAsync(content, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
                Metadata = metadata,
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken = default) =>
        (await Container(container).GetBlobClient(name).ExistsAsync(cancellationToken).ConfigureAwait(false)).Value;
}
