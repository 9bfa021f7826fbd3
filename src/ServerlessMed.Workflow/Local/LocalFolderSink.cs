using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Files;
using ServerlessMed.Imaging;
using ServerlessMed.Workflow.Encoding;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Workflow.Local;

/// <summary>One worker's sink into a <see cref="LocalFolder"/>. Every file is written whole or not at all (temporary
/// name, then one rename: <see cref="AtomicFileWriter"/>, which swaps out an existing output and deletes the displaced
/// ones in batches); where two inputs write one name, the later in input order keeps it (<see cref="OutputOrder"/>).
/// Quarantine folders are named by content, so an <c>original.bin</c> already there holds these very bytes and is not
/// written again; <c>reason.json</c> is the later input's, as for outputs. Memory stays bounded: large values are
/// copied from input to output, not loaded.</summary>
public sealed class LocalFolderSink(LocalFolder folder, AtomicFileWriter writer) : IWorkflowSink, ILocalInputSink
{
    public ValueTask<bool> WriteInstanceAsync(WorkflowInput input, DeidResult result, CancellationToken cancellationToken)
    {
        var a = result.Audit;
        var dir = Path.Combine(folder.OutDir, a.StudyInstanceUid, a.SeriesInstanceUid);
        Guard(() =>
        {
            folder.EnsureDirectory(dir);
            var target = Path.Combine(dir, a.SopInstanceUid + ".dcm");
            writer.Write(target, fs =>
            {
                using var buffered = new PooledWriteStream(fs);
                result.File.Save(buffered);
            }, publish => folder.Order.Commit(target, input.Position, publish));
        });

        // A name kept by a later input is not a duplicate of this run: both inputs were de-identified.
        return ValueTask.FromResult(true);
    }

    public ValueTask WriteEmbeddingsAsync(WorkflowInput input, InstanceUids uids, IReadOnlyList<EncodedOutput> outputs, CancellationToken cancellationToken)
    {
        Guard(() =>
        {
            folder.EnsureDirectory(folder.EmbeddingsDir);
            foreach (var o in outputs)
            {
                var target = Path.Combine(folder.EmbeddingsDir, o.Description.File);
                writer.Write(target, fs => fs.Write(o.Npy.Bytes), publish => folder.Order.Commit(target, input.Position, publish));
            }
        });
        return ValueTask.CompletedTask;
    }

    public void WriteInputs(InstanceUids uids, NpyFloat32Buffer inputs) => Guard(() =>
    {
        folder.EnsureDirectory(folder.EmbeddingsDir);
        writer.Write(Path.Combine(folder.EmbeddingsDir, EmbeddingFiles.Input(uids.Sop)), fs => fs.Write(inputs.Bytes));
    });

    public ValueTask QuarantineAsync(WorkflowInput input, QuarantineRecord record, string? original, CancellationToken cancellationToken)
    {
        if (folder.QuarantineDir is null)
        {
            return ValueTask.CompletedTask;
        }

        var dir = Path.Combine(folder.QuarantineDir, record.Folder);
        Directory.CreateDirectory(dir);
        var copy = Path.Combine(dir, "original.bin");
        if (original is not null && !File.Exists(copy))
        {
            using var handle = File.OpenHandle(original, FileMode.Open, FileAccess.Read, FileShare.Read);
            var content = new StreamRangeBuffer(new FileHandleSource(handle, "quarantined input"), 0, record.Bytes, 1);
            writer.Write(copy, fs =>
            {
                using var buffered = new PooledWriteStream(fs);
                content.CopyTo(buffered);
            });
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(record, WorkflowJsonContext.Default.QuarantineRecord);
        var reason = Path.Combine(dir, "reason.json");
        writer.Write(reason, fs => fs.Write(bytes), publish => folder.Order.Commit(reason, input.Position, publish));
        return ValueTask.CompletedTask;
    }

    /// <summary>The audit line for a de-identified instance; the sidecar (the record, with every output's
    /// description) for embeddings. A quarantined input's record is its reason.json, already written.</summary>
    public ValueTask CommitAsync(WorkflowInput input, InstanceRecord record, DicomDataset? deidentified, CancellationToken cancellationToken)
    {
        if (record.Audit is { } audit)
        {
            folder.AppendAudit(audit);
        }

        if (record is { Embeddings.Count: > 0, SopUid: { } sop })
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(record, WorkflowJsonContext.Default.InstanceRecord);
            var target = Path.Combine(folder.EmbeddingsDir, EmbeddingFiles.Sidecar(sop));
            Guard(() => writer.Write(target, fs => fs.Write(bytes), publish => folder.Order.Commit(target, input.Position, publish)));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>An output that cannot be written (disk full, no permission on OUT) is the output side's failure.</summary>
    private static void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeidOutputException(e);
        }
    }
}
