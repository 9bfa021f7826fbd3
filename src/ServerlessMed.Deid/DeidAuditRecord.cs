using System.Text.Json.Serialization;
using ServerlessMed.Deid.BurnedIn;

namespace ServerlessMed.Deid;

/// <summary>What was done to one instance, with de-identified identifiers only: safe to store and log.</summary>
public sealed class DeidAuditRecord
{
    public required string SopInstanceUid { get; init; }

    public required string StudyInstanceUid { get; init; }

    public required string SeriesInstanceUid { get; init; }

    public string SopClassUid { get; init; } = string.Empty;

    public string Modality { get; init; } = string.Empty;

    public required string Profile { get; init; }

    public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>How many attributes each action touched (X, Z, D, U, K, C, P = pseudonym).</summary>
    public IReadOnlyDictionary<string, int> Actions { get; init; } = new Dictionary<string, int>();

    public required string PatientPseudonym { get; init; }

    public bool DatesShifted { get; init; }

    public DateTimeOffset ProcessedAt { get; init; }

    public string Tool { get; init; } = string.Empty;

    /// <summary>Burned-in text: what was scanned and which boxes were masked (never the text); absent when the
    /// instance was out of the policy's burnedIn scope.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BurnedInReport? BurnedIn { get; init; }
}
