using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Workflow.Encoding;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Workflow;

/// <summary>Where the workflow's results go: a local folder (atomic file writes in input order) or the tenant's blob
/// storage (conditional writes). Calls come in this order for one input, the record last: it is the commit point,
/// so anything before it may be redone after a crash and must be harmless to redo.</summary>
public interface IWorkflowSink
{
    /// <summary>Writes the de-identified instance; false when its name already held one (a duplicate).</summary>
    ValueTask<bool> WriteInstanceAsync(WorkflowInput input, DeidResult result, CancellationToken cancellationToken);

    /// <summary>Writes one .npy per model output (frames × the output's shape) with its description.</summary>
    ValueTask WriteEmbeddingsAsync(WorkflowInput input, InstanceUids uids, IReadOnlyList<EncodedOutput> outputs, CancellationToken cancellationToken);

    /// <summary>Keeps the original bytes (<paramref name="original"/>, a local file; null when it could not be read)
    /// under the content's folder with the record saying why.</summary>
    ValueTask QuarantineAsync(WorkflowInput input, QuarantineRecord record, string? original, CancellationToken cancellationToken);

    /// <summary>Records the outcome, last (<paramref name="deidentified"/>: the de-identified dataset, for a sink that
    /// acts on it after the commit, such as the generation request).</summary>
    ValueTask CommitAsync(WorkflowInput input, InstanceRecord record, DicomDataset? deidentified, CancellationToken cancellationToken);
}

/// <summary>The UIDs an instance's outputs are named by.</summary>
public sealed record InstanceUids(string Study, string Series, string Sop);
