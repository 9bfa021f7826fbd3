using Azure.Core;
using Azure.Core.Pipeline;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>The storage service a request went to.</summary>
public enum StorageService
{
    Blob,
    Queue,
}

/// <summary>What one storage request did, as the round-trip budget counts it.</summary>
public enum StorageRequestKind
{
    BlobGet,
    BlobHead,
    BlobPut,
    BlobDelete,
    BlobList,

    /// <summary>Container requests (create, properties).</summary>
    BlobOther,
    QueuePut,
    QueueGet,

    /// <summary>A message's visibility changed (lease renewal, release).</summary>
    QueueUpdate,
    QueueDelete,

    /// <summary>Queue create, metadata (the message count), peek, clear.</summary>
    QueueOther,
}

/// <summary>Counts the storage requests made through the clients it is added to (TenantStorageOptions.BlobPolicies
/// and QueuePolicies), by kind, with the bytes each kind carried (request body for writes, response body for reads):
/// the load bench's requests per instance and the request mix it replays for Azurite's ceiling. A per-call policy, so
/// an SDK retry of one call counts once. Thread-safe.</summary>
public sealed class RequestCounter
{
    private readonly long[] _counts = new long[Enum.GetValues<StorageRequestKind>().Length];
    private readonly long[] _bytes = new long[Enum.GetValues<StorageRequestKind>().Length];

    public RequestCounter()
    {
        BlobPolicy = new Policy(this, StorageService.Blob);
        QueuePolicy = new Policy(this, StorageService.Queue);
    }

    /// <summary>Add to the blob client's options (per call).</summary>
    public HttpPipelinePolicy BlobPolicy { get; }

    /// <summary>Add to the queue client's options (per call).</summary>
    public HttpPipelinePolicy QueuePolicy { get; }

    public long Count(StorageRequestKind kind) => Interlocked.Read(ref _counts[(int)kind]);

    public long Bytes(StorageRequestKind kind) => Interlocked.Read(ref _bytes[(int)kind]);

    public long Total => Enum.GetValues<StorageRequestKind>().Sum(Count);

    public void Reset()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            Interlocked.Exchange(ref _counts[i], 0);
            Interlocked.Exchange(ref _bytes[i], 0);
        }
    }

    /// <summary>The kind of a request from its method and address (the storage REST API's shapes).</summary>
    public static StorageRequestKind Classify(StorageService service, RequestMethod method, Uri uri)
    {
        var query = uri.Query;
        if (service == StorageService.Blob)
        {
            if (query.Contains("comp=list", StringComparison.Ordinal))
            {
                return StorageRequestKind.BlobList;
            }

            if (query.Contains("restype=container", StringComparison.Ordinal) || query.Contains("restype=service", StringComparison.Ordinal))
            {
                return StorageRequestKind.BlobOther;
            }

            return method == RequestMethod.Get ? StorageRequestKind.BlobGet
                : method == RequestMethod.Head ? StorageRequestKind.BlobHead
                : method == RequestMethod.Put ? StorageRequestKind.BlobPut
                : method == RequestMethod.Delete ? StorageRequestKind.BlobDelete
                : StorageRequestKind.BlobOther;
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        var messages = path.EndsWith("/messages", StringComparison.Ordinal);
        var oneMessage = path.Contains("/messages/", StringComparison.Ordinal);
        return messages && method == RequestMethod.Post ? StorageRequestKind.QueuePut
            : messages && method == RequestMethod.Get && !query.Contains("peekonly=true", StringComparison.Ordinal) ? StorageRequestKind.QueueGet
            : oneMessage && method == RequestMethod.Put ? StorageRequestKind.QueueUpdate
            : oneMessage && method == RequestMethod.Delete ? StorageRequestKind.QueueDelete
            : StorageRequestKind.QueueOther;
    }

    private void Record(StorageService service, HttpMessage message)
    {
        var kind = (int)Classify(service, message.Request.Method, message.Request.Uri.ToUri());
        Interlocked.Increment(ref _counts[kind]);
        long bytes = 0;
        if (message.Request.Content is { } content && content.TryComputeLength(out var sent))
        {
            bytes += sent;
        }

        if (message.HasResponse && message.Response.Headers.ContentLength is { } received)
        {
            bytes += received;
        }

        Interlocked.Add(ref _bytes[kind], bytes);
    }

    private sealed class Policy(RequestCounter counter, StorageService service) : HttpPipelineSynchronousPolicy
    {
        public override void OnReceivedResponse(HttpMessage message) => counter.Record(service, message);
    }
}
