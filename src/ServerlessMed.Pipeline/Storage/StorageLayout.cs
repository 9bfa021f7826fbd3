namespace ServerlessMed.Pipeline.Storage;

/// <summary>Every output name, derived from de-identified UIDs and request ids only (never from upload names or
/// original values), so a retried step rewrites the same names.</summary>
public static class StorageLayout
{
    public static string DeidInstance(string study, string series, string sop) => $"{study}/{series}/{sop}.dcm";

    public static string Embedding(string modelKey, string study, string series, string sop, string extension) => $"{modelKey}/{study}/{series}/{sop}.{extension}";

    public static string Audit(string study, string sop) => $"{study}/{sop}.json";

    public static string QuarantineFolder(string id) => id;

    public static string Generated(string study, string requestId, string file) => $"{study}/{requestId}/{file}";

    /// <summary>Quarantine id of an upload: a hash of its name and version, so the name itself (which may hold PHI) is never used.</summary>
    public static string QuarantineId(string uploadName, string etag)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(uploadName + "\u001f" + etag));
        return Convert.ToHexString(hash.AsSpan(0, 12)).ToLowerInvariant();
    }
}
