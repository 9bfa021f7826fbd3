namespace ServerlessMed.Pipeline.Storage;

/// <summary>Every output name, derived from de-identified UIDs and request ids only (never from upload names or
/// original values), so a retried step rewrites the same names.</summary>
public static class StorageLayout
{
    public static string DeidInstance(string study, string series, string sop) => $"{study}/{series}/{sop}.dcm";

    public static string Embedding(string modelKey, string study, string series, string sop, string extension) => $"{modelKey}/{study}/{series}/{sop}.{extension}";

    public static string Audit(string study, string sop) => $"{study}/{sop}.json";

    /// <summary>Keyed fingerprints of an instance's original identifiers, in the audit container (no PHI: HMACs).</summary>
    public static string IdentifierFingerprints(string study, string sop) => $"_fingerprints/{study}/{sop}.json";

    public static string QuarantineFolder(string id) => id;

    public static string Generated(string study, string requestId, string file) => $"{study}/{requestId}/{file}";

    /// <summary>A message or request id made safe as one blob-name segment (anything outside [A-Za-z0-9._-] becomes '_').</summary>
    public static string SafeName(string value) => string.Concat(value.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));

    /// <summary>The receipt of one upload in the audit container: every upload gets one, processed or quarantined.</summary>
    public static string UploadReceipt(string uploadId) => $"_uploads/{uploadId}.json";

    /// <summary>Id of an upload (also its quarantine id): a hash of its name and version, so the name itself (which may hold PHI) is never used.</summary>
    public static string QuarantineId(string uploadName, string etag)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(uploadName + "\u001f" + etag));
        return Convert.ToHexString(hash.AsSpan(0, 12)).ToLowerInvariant();
    }
}
