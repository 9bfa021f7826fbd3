using System.Text.Json;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>What is in a tenant's storage after a run: the numbers the demo prints and the tests assert.</summary>
/// <param name="AuditRecords">Names of the instance records (<see cref="StorageLayout.InstanceRecord"/>).</param>
/// <param name="Quarantined">The quarantine record of every quarantined upload (from its upload record, so two uploads of
/// the same bad bytes count twice, as they were uploaded).</param>
/// <param name="Records">Every upload's record: one per upload or zip entry, whatever became of it.</param>
public sealed record StorageInventory(
    IReadOnlyList<string> Uploads,
    IReadOnlyList<string> DeidInstances,
    IReadOnlyList<string> Embeddings,
    IReadOnlyList<string> AuditRecords,
    IReadOnlyList<QuarantineRecord> Quarantined,
    IReadOnlyList<string> GeneratedFiles,
    IReadOnlyList<InstanceRecord> Records)
{
    /// <summary>Uploads de-identified (written, duplicate of an instance already there, or without pixel data).</summary>
    public int ProcessedUploads => Records.Count(r => r.Status is InstanceOutcome.Written or InstanceOutcome.Duplicate or InstanceOutcome.NoPixels);

    public int QuarantinedUploads => Records.Count(r => r.Status == InstanceOutcome.Quarantined);

    /// <summary>De-identified uploads without pixel data: nothing to embed.</summary>
    public int NoPixelUploads => Records.Count(r => r.Status == InstanceOutcome.NoPixels);

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
        var records = new List<InstanceRecord>();
        var instanceRecords = new List<string>();
        foreach (var name in await List(o.Audit).ConfigureAwait(false))
        {
            var isInstance = !name.StartsWith('_');
            if (!name.EndsWith(".json", StringComparison.Ordinal) || (!isInstance && !name.StartsWith("_uploads/", StringComparison.Ordinal)))
            {
                continue; // the local event source's checkpoint and other system files
            }

            var content = await storage.Container(o.Audit).GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            records.Add(JsonSerializer.Deserialize(content.Value.Content.ToMemory().Span, WorkflowJsonContext.Default.InstanceRecord)!);
            if (isInstance)
            {
                instanceRecords.Add(name);
            }
        }

        return new StorageInventory(
            await List(o.Uploads).ConfigureAwait(false),
            await List(o.Deid).ConfigureAwait(false),
            [.. (await List(o.Embeddings).ConfigureAwait(false)).Where(n => !n.StartsWith('_') && n.EndsWith(".npy", StringComparison.Ordinal))],
            instanceRecords,
            [.. records.Where(r => r.Quarantine is not null).Select(r => r.Quarantine!)],
            await List(o.Generated).ConfigureAwait(false),
            records);
    }

    /// <summary>SOP UID (file name without extension) of each de-identified instance.</summary>
    public IEnumerable<string> DeidSopUids => DeidInstances.Select(n => Path.GetFileNameWithoutExtension(n));

    /// <summary>Instances with at least one model output's embeddings.</summary>
    public int EmbeddedInstances => Embeddings.Select(e => e[..e.LastIndexOf('_')]).Distinct(StringComparer.Ordinal).Count();

    public bool HasEmbedding(string sopUid) => Embeddings.Any(e => e.Contains("/" + sopUid + "_", StringComparison.Ordinal));

    /// <summary>Complete generated requests ("{study}/{request}"): request.json is written after every image.</summary>
    public IReadOnlyList<string> GeneratedRequests =>
        [.. GeneratedFiles.Where(f => f.EndsWith("/request.json", StringComparison.Ordinal)).Select(f => f[..f.LastIndexOf('/')]).Distinct()];

    /// <summary>Dead-lettered generation requests (their failure documents).</summary>
    public IReadOnlyList<string> GenerationFailures =>
        [.. GeneratedFiles.Where(f => f.EndsWith("/failure.json", StringComparison.Ordinal) || f.StartsWith("_failed/", StringComparison.Ordinal))];

    public int GeneratedImages => GeneratedFiles.Count(f => Path.GetFileName(f) is var n && char.IsDigit(n[0]) && n.EndsWith(".png", StringComparison.Ordinal));
}
