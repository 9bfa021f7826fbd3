using System.Text.Json;
using ServerlessMed.Pipeline.Stages;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>What is in a tenant's storage after a run: the numbers the demo prints and the tests assert.</summary>
public sealed record StorageInventory(
    IReadOnlyList<string> Uploads,
    IReadOnlyList<string> DeidInstances,
    IReadOnlyList<string> Embeddings,
    IReadOnlyList<string> AuditRecords,
    IReadOnlyList<QuarantineReason> Quarantined,
    IReadOnlyList<string> GeneratedFiles,
    IReadOnlyList<UploadReceipt> Receipts)
{
    /// <summary>Uploads processed (de-identified), counting a re-upload of an instance already there.</summary>
    public int ProcessedUploads => Receipts.Count(r => r.Status == "processed");

    public int QuarantinedUploads => Receipts.Count(r => r.Status == "quarantined");

    public static async Task<StorageInventory> ReadAsync(TenantStorage storage, CancellationToken cancellationToken = default)
    {
        async Task<List<string>> List(string container)
        {
            var names = new List<string>();
            await foreach (var b in storage.Container(container).GetBlobsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                names.Add(b.Name);
            }

            return names;
        }

        var o = storage.Options;
        var quarantine = new List<QuarantineReason>();
        foreach (var name in (await List(o.Quarantine).ConfigureAwait(false)).Where(n => n.EndsWith("/reason.json", StringComparison.Ordinal)))
        {
            var content = await storage.Container(o.Quarantine).GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            quarantine.Add(JsonSerializer.Deserialize<QuarantineReason>(content.Value.Content.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!);
        }

        var receipts = new List<UploadReceipt>();
        await foreach (var b in storage.Container(o.Audit).GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = "_uploads/" }, cancellationToken).ConfigureAwait(false))
        {
            var content = await storage.Container(o.Audit).GetBlobClient(b.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            receipts.Add(JsonSerializer.Deserialize<UploadReceipt>(content.Value.Content.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!);
        }

        return new StorageInventory(
            await List(o.Uploads).ConfigureAwait(false),
            await List(o.Deid).ConfigureAwait(false),
            [.. (await List(o.Embeddings).ConfigureAwait(false)).Where(n => n.EndsWith(".npy", StringComparison.Ordinal))],
            [.. (await List(o.Audit).ConfigureAwait(false)).Where(n => !n.StartsWith('_'))],
            quarantine,
            await List(o.Generated).ConfigureAwait(false),
            receipts);
    }

    /// <summary>SOP UID (file name without extension) of each de-identified instance.</summary>
    public IEnumerable<string> DeidSopUids => DeidInstances.Select(n => Path.GetFileNameWithoutExtension(n));

    public bool HasEmbedding(string sopUid) => Embeddings.Any(e => e.EndsWith("/" + sopUid + ".npy", StringComparison.Ordinal));

    /// <summary>Complete generated requests ("{study}/{request}"): request.json is written after every image.</summary>
    public IReadOnlyList<string> GeneratedRequests =>
        [.. GeneratedFiles.Where(f => f.EndsWith("/request.json", StringComparison.Ordinal)).Select(f => f[..f.LastIndexOf('/')]).Distinct()];

    /// <summary>Dead-lettered generation requests (their failure documents).</summary>
    public IReadOnlyList<string> GenerationFailures =>
        [.. GeneratedFiles.Where(f => f.EndsWith("/failure.json", StringComparison.Ordinal) || f.StartsWith("_failed/", StringComparison.Ordinal))];

    public int GeneratedImages => GeneratedFiles.Count(f => Path.GetFileName(f) is var n && char.IsDigit(n[0]) && n.EndsWith(".png", StringComparison.Ordinal));
}
