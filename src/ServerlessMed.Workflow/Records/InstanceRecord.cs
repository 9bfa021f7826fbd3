using ServerlessMed.Deid;
using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.Workflow.Records;

/// <summary>Everything one input produced, in one document written last: the commit point. In blob storage it is the
/// audit record, the upload's receipt, the identifier fingerprints the export's leak gate reads and the embeddings'
/// description at once (one request instead of four); in the CLI it is the embedding sidecar. De-identified values
/// only (the fingerprints are keyed HMACs).</summary>
public sealed record InstanceRecord
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>The input's label: a position (<c>#12/3</c>) in the CLI, the upload id (and <c>/{entry}</c>) in the pipeline.</summary>
    public required string Input { get; init; }

    public required InstanceOutcome Status { get; init; }

    public string? StudyUid { get; init; }

    public string? SeriesUid { get; init; }

    public string? SopUid { get; init; }

    public DeidAuditRecord? Audit { get; init; }

    /// <summary>Keyed fingerprints of the original identifiers (<see cref="IdentifierFingerprints"/>), with their format version.</summary>
    public int? FingerprintVersion { get; init; }

    public IReadOnlyList<string>? Fingerprints { get; init; }

    public IReadOnlyList<EmbeddingDescription>? Embeddings { get; init; }

    public QuarantineRecord? Quarantine { get; init; }

    /// <summary>Entries of a zip (status expanded).</summary>
    public int? Entries { get; init; }

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
}
