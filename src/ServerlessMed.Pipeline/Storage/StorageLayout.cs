namespace ServerlessMed.Pipeline.Storage;

/// <summary>Every output name, derived from de-identified UIDs and request ids only (never from upload names or
/// original values), so a retried step rewrites the same names.</summary>
public static class StorageLayout
{
    public static string DeidInstance(string study, string series, string sop) => $"{study}/{series}/{sop}.dcm";

    /// <summary>One model output's embeddings of an instance: <c>{model}/{study'}/{series'}/{sop'}_{output}.npy</c>
    /// (<see cref="ServerlessMed.Workflow.Records.EmbeddingFiles.Npy"/>), its description in the blob's metadata.</summary>
    public static string Embedding(string modelKey, string study, string series, string file) => $"{modelKey}/{study}/{series}/{file}";

    /// <summary>The record of one upload (or zip entry) that became this instance, in the audit container: audit,
    /// receipt, identifier fingerprints and embedding descriptions in one document. One per upload, so two uploads of
    /// one instance keep a record each (and the leak gate sees both uploads' fingerprints).</summary>
    public static string InstanceRecord(string study, string sop, string label) => $"{study}/{sop}/{RecordKey(label)}.json";

    /// <summary>The record of an upload that did not become an instance (quarantined, or a zip that was expanded).</summary>
    public static string UploadRecord(string label) => $"_uploads/{RecordKey(label)}.json";

    /// <summary>Prefix of every record of one instance.</summary>
    public static string InstanceRecords(string study, string sop) => $"{study}/{sop}/";

    /// <summary>A pipeline input label ("{upload id}" or "{upload id}/{entry}") as one blob-name segment.</summary>
    public static string RecordKey(string label) => label.Replace('/', '.');

    /// <summary>A quarantine folder: the first 128 bits of the content's SHA-256 (<see cref="ServerlessMed.Workflow.Records.QuarantineRecord.Folder"/>).</summary>
    public static string QuarantineFolder(string folder) => folder;

    public static string Generated(string study, string requestId, string file) => $"{study}/{requestId}/{file}";

    /// <summary>A message or request id made safe as one blob-name segment (anything outside [A-Za-z0-9._-] becomes '_').</summary>
    public static string SafeName(string value) => string.Concat(value.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));

    /// <summary>Id of an upload, its label in records: a hash of its name and version, so the name itself (which may
    /// hold PHI) is never used, and a redelivery of the same upload gets the same id.</summary>
    public static string UploadId(string uploadName, string etag)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(uploadName + "\u001f" + etag));
        return Convert.ToHexString(hash.AsSpan(0, 12)).ToLowerInvariant();
    }
}
