using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.Workflow.Records;

/// <summary>Why an input was quarantined: the one record of the CLI (<c>{quarantine}/{sha256[..32]}/reason.json</c>)
/// and the pipeline (<c>quarantine/{sha256[..32]}/reason.json</c> and inside the upload's record). No PHI: the input
/// is named by its label (position <c>#12/3</c>, or the upload id and entry number), the message is ours, and
/// <see cref="Sha256"/> (full lowercase hex of the original bytes, empty when they could not be read) lets a user find
/// the input with <c>sha256sum</c>. No time: a re-run writes the same bytes.</summary>
public sealed record QuarantineRecord(string Input, QuarantineStage Stage, QuarantineCode Code, string Message, long Bytes, string Sha256)
{
    /// <summary>The quarantine folder of this content: the first 128 bits of its SHA-256, or
    /// <c>unreadable-{label}</c> when there were no bytes to hash.</summary>
    public string Folder => Sha256.Length == 64 ? Sha256[..32] : "unreadable-" + string.Concat(Input.TrimStart('#').Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-'));
}
