using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Workflow;
using ServerlessMed.Workflow.Encoding;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>The workflow's sink on the tenant's blob storage: every write is conditional (If-None-Match: *) under a
/// name derived from de-identified UIDs, content hashes or the upload id, so a redelivery rewrites nothing and loses
/// nothing. Per instance: the de-identified file, one .npy per model output (its description in the blob's metadata,
/// so no sidecar request) and the instance record last, the commit point.</summary>
public sealed class BlobSink(TenantStorage storage) : IWorkflowSink
{
    /// <summary>Metadata key of an embedding's description (compact JSON, ASCII).</summary>
    public const string DescriptionKey = "description";

    /// <summary>Runs after a record is written (the ingest stage's generation request), with the de-identified dataset.</summary>
    public Func<InstanceRecord, DicomDataset, CancellationToken, Task>? AfterCommit { get; init; }

    public async ValueTask<bool> WriteInstanceAsync(WorkflowInput input, DeidResult result, CancellationToken cancellationToken)
    {
        var a = result.Audit;
        var temp = input.Path + ".deid";
        try
        {
            result.File.Save(temp);
            return await storage.WriteOnceAsync(storage.Options.Deid, StorageLayout.DeidInstance(a.StudyInstanceUid, a.SeriesInstanceUid, a.SopInstanceUid), temp, "application/dicom", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public async ValueTask WriteEmbeddingsAsync(WorkflowInput input, InstanceUids uids, IReadOnlyList<EncodedOutput> outputs, CancellationToken cancellationToken)
    {
        foreach (var o in outputs)
        {
            await WriteEmbeddingAsync(storage, uids, o.Description, o.Npy.Bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One .npy with its description as metadata, in one request (also what test data is written with).</summary>
    public static Task<bool> WriteEmbeddingAsync(TenantStorage storage, InstanceUids uids, EmbeddingDescription description, byte[] npy, CancellationToken cancellationToken = default) =>
        storage.WriteOnceAsync(
            storage.Options.Embeddings,
            StorageLayout.Embedding(description.ModelKey, uids.Study, uids.Series, description.File),
            BinaryData.FromBytes(npy),
            "application/octet-stream",
            cancellationToken,
            new Dictionary<string, string> { [DescriptionKey] = JsonSerializer.Serialize(description, WorkflowJsonContext.Compact.EmbeddingDescription) });

    /// <summary>The original first, then the reason: a reason.json always has its data beside it. Both are named by
    /// content, so the first upload of some bad bytes keeps them; each upload's own record says what became of it.</summary>
    public async ValueTask QuarantineAsync(WorkflowInput input, QuarantineRecord record, string? original, CancellationToken cancellationToken)
    {
        var folder = StorageLayout.QuarantineFolder(record.Folder);
        if (original is not null)
        {
            await storage.WriteOnceAsync(storage.Options.Quarantine, $"{folder}/original.bin", original, "application/octet-stream", cancellationToken).ConfigureAwait(false);
        }

        await storage.WriteOnceAsync(storage.Options.Quarantine, $"{folder}/reason.json", BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(record, WorkflowJsonContext.Default.QuarantineRecord)), "application/json", cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask CommitAsync(WorkflowInput input, InstanceRecord record, DicomDataset? deidentified, CancellationToken cancellationToken)
    {
        var name = record is { StudyUid: { } study, SopUid: { } sop } ? StorageLayout.InstanceRecord(study, sop, input.Label) : StorageLayout.UploadRecord(input.Label);
        await storage.WriteOnceAsync(storage.Options.Audit, name, BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(record, WorkflowJsonContext.Default.InstanceRecord)), "application/json", cancellationToken).ConfigureAwait(false);
        if (AfterCommit is not null && deidentified is not null)
        {
            await AfterCommit(record, deidentified, cancellationToken).ConfigureAwait(false);
        }
    }
}
