using System.Text.Json.Serialization;
using ServerlessMed.Deid;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Workflow.Outcomes;

/// <summary>What became of one input (a file, a zip entry, a downloaded upload).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InstanceOutcome>))]
public enum InstanceOutcome
{
    /// <summary>De-identified and written; embedded when an encoder runs.</summary>
    [JsonStringEnumMemberName("written")] Written,

    /// <summary>De-identified, but its output name already held an instance (an earlier upload of it, or an earlier
    /// delivery of this one): nothing new was written where conditional writes decide.</summary>
    [JsonStringEnumMemberName("duplicate")] Duplicate,

    /// <summary>De-identified; it has no pixel data, so there is nothing to embed (a header-only object, an SR). A
    /// normal outcome, never a failure.</summary>
    [JsonStringEnumMemberName("no-pixels")] NoPixels,

    /// <summary>Could not be processed: kept in quarantine with a record saying why.</summary>
    [JsonStringEnumMemberName("quarantined")] Quarantined,

    /// <summary>A zip: its entries were processed one by one, each with its own outcome.</summary>
    [JsonStringEnumMemberName("expanded")] Expanded,
}

/// <summary>One input's outcome as the drivers see it. Identifiers are de-identified (or, for <c>smed embed</c>,
/// the input's own); <see cref="Quarantine"/> is set when quarantined.</summary>
public sealed record InstanceResult(
    string Input,
    InstanceOutcome Outcome,
    string? StudyUid = null,
    string? SeriesUid = null,
    string? SopUid = null,
    int EmbeddedOutputs = 0,
    int Frames = 0,
    QuarantineRecord? Quarantine = null,
    DeidAuditRecord? Audit = null)
{
    /// <summary>Written, duplicate or no-pixels: the instance is de-identified.</summary>
    public bool IsDeidentified => Outcome is InstanceOutcome.Written or InstanceOutcome.Duplicate or InstanceOutcome.NoPixels;

    public bool IsEmbedded => EmbeddedOutputs > 0;
}
