using System.Collections.Concurrent;
using System.Text.Json;
using ServerlessMed.Deid;

namespace ServerlessMed.Workflow.Local;

/// <summary>What the workers of one local run share: the folders, the output order (the later input keeps a shared
/// name whatever the timing), the folders already made and the run's audit log (one line per instance in
/// <c>{out}/audit-{utc time}-{pid}.jsonl</c>: one file per run, not per instance, since creating files is most of the
/// cost of small instances). Each worker writes through its own <see cref="LocalFolderSink"/>.</summary>
public sealed class LocalFolder : IDisposable
{
    // One record per line: the source-generated context without indentation.
    private static readonly DeidJsonContext Compact = new(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private readonly ConcurrentDictionary<string, bool> _createdDirectories = new(StringComparer.Ordinal);
    private readonly Lock _auditGate = new();
    private readonly FileStream? _audit;

    /// <param name="outDir">De-identified instances (<c>{study'}/{series'}/{sop'}.dcm</c>), the audit log; embeddings when
    /// <paramref name="embeddingsDir"/> is null.</param>
    /// <param name="quarantineDir">Quarantined inputs: <c>{sha256[..32]}/original.bin</c> and <c>reason.json</c>; null
    /// to report failures only (<c>smed embed</c>, whose inputs are the user's own files, keeps no copies).</param>
    /// <param name="workers">Workers that will write at once (for the output order).</param>
    /// <param name="auditLog">Whether to keep the audit log (<c>smed deid</c>); <c>smed embed</c> writes none.</param>
    public LocalFolder(string outDir, string? quarantineDir, int workers, bool auditLog = true, string? embeddingsDir = null)
    {
        OutDir = outDir;
        QuarantineDir = quarantineDir;
        EmbeddingsDir = embeddingsDir ?? outDir;
        Order = new OutputOrder(workers);
        Directory.CreateDirectory(outDir);
        _audit = auditLog
            ? new FileStream(Path.Combine(outDir, $"audit-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Environment.ProcessId}.jsonl"), FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16)
            : null;
    }

    public string OutDir { get; }

    public string? QuarantineDir { get; }

    public string EmbeddingsDir { get; }

    public OutputOrder Order { get; }

    /// <summary>Makes a folder once per run. Remembered only once it exists: a thread that finds the name cached must
    /// find the folder too (two threads creating the same folder at once is harmless; CreateDirectory is idempotent).</summary>
    public void EnsureDirectory(string dir)
    {
        if (!_createdDirectories.ContainsKey(dir))
        {
            Directory.CreateDirectory(dir);
            _createdDirectories.TryAdd(dir, true);
        }
    }

    public void AppendAudit(DeidAuditRecord audit)
    {
        if (_audit is null)
        {
            return;
        }

        var line = JsonSerializer.SerializeToUtf8Bytes(audit, Compact.DeidAuditRecord);
        lock (_auditGate)
        {
            _audit.Write(line);
            _audit.WriteByte((byte)'\n');
        }
    }

    public void Dispose() => _audit?.Dispose();
}
