namespace ServerlessMed.Pipeline.Stages;

public enum IngestStatus
{
    /// <summary>De-identified; embedded and enqueued where the instance has pixels.</summary>
    Processed,

    /// <summary>A zip: its entries were ingested one by one (each with its own receipt).</summary>
    Expanded,

    /// <summary>Could not be processed: in quarantine with a reason.</summary>
    Quarantined,

    /// <summary>The upload is gone: an earlier delivery of the same event processed it.</summary>
    AlreadyProcessed,

    /// <summary>Not an upload event (another container, another event type).</summary>
    Ignored,
}

/// <summary>What ingest did with one upload; identifiers are de-identified.</summary>
public sealed record IngestOutcome(IngestStatus Status, string? StudyUid = null, string? SopUid = null, bool Embedded = false, string? GenerationRequestId = null, string? QuarantineId = null, string? QuarantineCode = null);
