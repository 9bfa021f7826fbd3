namespace ServerlessMed.Deid.Batch;

/// <summary>One thing to de-identify: a file, or an entry of a zip file (expanded to a temporary file while streaming).
/// Named by position only (<c>#12</c>, <c>#12/3</c>): names may hold PHI.</summary>
public sealed record DeidInput(string Label, string Path, bool Temporary);
