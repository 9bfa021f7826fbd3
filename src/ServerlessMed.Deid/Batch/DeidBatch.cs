using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Files;
using ServerlessMed.Files.Archives;

namespace ServerlessMed.Deid.Batch;

/// <summary>Why an input was quarantined (no PHI: position, codes, our messages, content hash).</summary>
public sealed record QuarantineRecord(string Input, string Stage, string Code, string Message, long Bytes, string Sha256);

/// <summary>The last line <c>smed deid</c> prints.</summary>
public sealed record DeidBatchSummary(int Inputs, int Written, int Quarantined, double Seconds);

/// <summary>De-identifies files and zip entries on local disk in parallel: each output goes to
/// <c>{out}/{study'}/{series'}/{sop'}.dcm</c>, and its audit record is one line of the run's
/// <c>{out}/audit-{utc time}-{pid}.jsonl</c> (one file per run, not per instance: creating files is most of the cost
/// of small instances); each input that cannot be de-identified is copied to
/// <c>{quarantine}/{sha256}/original.bin</c> with <c>reason.json</c>, so written + quarantined = inputs. Memory
/// stays bounded: pixel data and other large values are copied from input to output, not loaded.</summary>
public sealed class DeidBatch(Deidentifier deidentifier, string outDir, string quarantineDir)
{
    // One record per line: the source-generated context without indentation.
    private static readonly DeidJsonContext Compact = new(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private readonly ConcurrentDictionary<string, bool> _createdDirectories = new(StringComparer.Ordinal);
    private readonly Lock _auditGate = new();
    private FileStream? _audit;
    private OutputOrder? _order;
    private int _written;
    private int _quarantined;
    private int _inputs;

    public ZipLimits ZipLimits { get; init; } = new();

    public int Parallelism { get; init; } = Environment.ProcessorCount * 2;

    /// <summary>Values longer than this are not read while parsing: they stay references into the open input and
    /// reach the output through the write buffer (or a kernel copy when large). De-identification never looks inside
    /// most of them (pixel data, fragments, private blocks it removes) and reads the rest when it needs them; loading
    /// them all put a copy of every small image on the heap and its collections on the clock.</summary>
    public int DeferValuesOver { get; init; } = 4096;

    /// <summary>Problems in input order, as "input: message" lines (for stderr).</summary>
    public ConcurrentBag<(string Input, string Message)> Problems { get; } = [];

    public DeidBatchSummary Run(IReadOnlyList<string> paths)
    {
        var sw = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        _audit = new FileStream(Path.Combine(outDir, $"audit-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Environment.ProcessId}.jsonl"), FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        try
        {
            // Dedicated threads taking the next input in turn: the thread pool injects workers beyond the core count
            // only slowly, and a worker waiting in the kernel (file creation, rename) would leave a core idle.
            var next = -1;
            var count = Math.Min(Parallelism, Math.Max(1, paths.Count));
            var order = _order = new OutputOrder(count);
            // Each worker has its own file writer: outputs it replaces are deleted in batches, not one by one (AtomicFileWriter).
            var workers = Enumerable.Range(0, count).Select(w => new Thread(() =>
            {
                using var writer = new AtomicFileWriter();
                while (true)
                {
                    order.Enter(w, Position(Volatile.Read(ref next) + 1)); // no later than what it takes next
                    var i = Interlocked.Increment(ref next);
                    if (i >= paths.Count)
                    {
                        break;
                    }

                    order.Enter(w, Position(i));
                    RunOne(System.IO.Path.GetFullPath(paths[i]), i, writer);
                }

                order.Leave(w);
            })
            { IsBackground = true }).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());
        }
        finally
        {
            _audit.Dispose();
        }

        return new DeidBatchSummary(_inputs, _written, _quarantined, Math.Round(sw.Elapsed.TotalSeconds, 3));
    }

    /// <summary>Where input <paramref name="index"/> (and after it, its zip entries) stands in input order.</summary>
    private static long Position(int index, int zipEntry = -1) => ((long)index << 32) + zipEntry + 1;

    /// <summary>Opens an input once: its first bytes say zip or not, and the same handle is parsed as DICOM (with
    /// positional reads only: no read-ahead hint, no seeks).</summary>
    private void RunOne(string path, int index, AtomicFileWriter writer)
    {
        var handle = OpenOrNull(path);
        if (handle is not null && IsZip(handle))
        {
            handle.Dispose();
            RunZip(path, index, writer);
            return;
        }

        Interlocked.Increment(ref _inputs);
        using (handle)
        {
            Process(path, $"#{index + 1}", Position(index), writer, handle);
        }
    }

    /// <summary>True when the file starts with a zip signature; a file whose first bytes cannot be read is left to the
    /// DICOM reader to report.</summary>
    private static bool IsZip(SafeFileHandle handle)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            return RandomAccess.Read(handle, magic, 0) == 4 && ZipExpander.IsZipMagic(magic);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void RunZip(string zipPath, int index, AtomicFileWriter writer)
    {
        var label = $"#{index + 1}";
        int count;
        try
        {
            count = ZipExpander.Validate(zipPath, ZipLimits);
        }
        catch (ZipRejectedException e)
        {
            Interlocked.Increment(ref _inputs);
            Quarantine(zipPath, label, Position(index), writer, "expand", e.Code, e.Message);
            return;
        }

        Interlocked.Add(ref _inputs, count);
        var scratch = Directory.CreateTempSubdirectory("smed-zip").FullName;
        try
        {
            for (var i = 0; i < count; i++)
            {
                var entryLabel = $"{label}/{i + 1}";
                var target = Path.Combine(scratch, $"{i}.dcm");
                try
                {
                    ZipExpander.ExtractEntry(zipPath, i, target, ZipLimits);
                }
                catch (Exception e) when (e is ZipRejectedException or InvalidDataException or IOException)
                {
                    Quarantine(File.Exists(target) ? target : zipPath, entryLabel, Position(index, i), writer, "expand", e is ZipRejectedException z ? z.Code : "zip-unreadable", MessageOf(e));
                    continue;
                }

                using (var handle = OpenOrNull(target))
                {
                    Process(target, entryLabel, Position(index, i), writer, handle);
                }

                File.Delete(target);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static SafeFileHandle? OpenOrNull(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // unreadable: Process reports it
        }
    }

    /// <summary>De-identifies one input (through <paramref name="opened"/>, its open handle, when there is one) and
    /// writes its output, unless an input after <paramref name="position"/> has already written the same name.</summary>
    private void Process(string path, string label, long position, AtomicFileWriter writer, SafeFileHandle? opened)
    {
        try
        {
            var options = new DicomReaderOptions { SourceName = "input " + label, LargeValueThreshold = DeferValuesOver };
            var file = opened is null ? DicomFile.Open(path, options) : DicomFile.Open(opened, options);
            var result = deidentifier.Deidentify(file);
            var a = result.Audit;
            var dir = Path.Combine(outDir, a.StudyInstanceUid, a.SeriesInstanceUid);
            try
            {
                // Remembered only once it exists: a thread that finds the name cached must find the folder too (two
                // threads creating the same folder at once is harmless; CreateDirectory is idempotent).
                if (!_createdDirectories.ContainsKey(dir))
                {
                    Directory.CreateDirectory(dir);
                    _createdDirectories.TryAdd(dir, true);
                }

                var target = Path.Combine(dir, a.SopInstanceUid + ".dcm");
                writer.Write(target, fs =>
                {
                    using var buffered = new PooledWriteStream(fs);
                    result.File.Save(buffered);
                }, publish => _order!.Commit(target, position, publish));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DeidOutputException(e);
            }

            var line = JsonSerializer.SerializeToUtf8Bytes(a, Compact.DeidAuditRecord);
            lock (_auditGate)
            {
                _audit!.Write(line);
                _audit.WriteByte((byte)'\n');
            }

            Interlocked.Increment(ref _written);
        }
        catch (Exception e) when (e is DicomException or DeidRejectedException or DeidOutputException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Quarantine(path, label, position, writer, "deid", CodeOf(e), MessageOf(e));
        }
    }

    /// <summary>Copies the input to <c>{quarantine}/{sha256}/original.bin</c> with <c>reason.json</c>. An input that
    /// cannot be read at all (gone, a dangling link, no permission) has nothing to keep: it gets
    /// <c>{quarantine}/unreadable-{position}/reason.json</c> alone and is still counted, never dropped. Both files are
    /// written whole or not at all (temporary name, then rename). The folder is named by the content, so an
    /// <c>original.bin</c> already there holds these very bytes (the same input quarantined before, or a copy of it)
    /// and is not written again; <c>reason.json</c> is the later input's, as for outputs.</summary>
    private void Quarantine(string source, string label, long position, AtomicFileWriter writer, string stage, string code, string message)
    {
        Problems.Add((label, message));
        string sha;
        long bytes;
        string dir;
        try
        {
            using var handle = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.Read);
            bytes = RandomAccess.GetLength(handle);
            sha = Sha256Hex(handle, bytes);
            dir = Path.Combine(quarantineDir, sha[..32]);
            Directory.CreateDirectory(dir);
            var original = Path.Combine(dir, "original.bin");
            if (!File.Exists(original))
            {
                var content = new StreamRangeBuffer(new FileHandleSource(handle, "quarantined input"), 0, bytes, 1);
                writer.Write(original, fs =>
                {
                    using var buffered = new PooledWriteStream(fs);
                    content.CopyTo(buffered);
                });
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DicomException)
        {
            (bytes, sha) = (-1, string.Empty);
            dir = Path.Combine(quarantineDir, "unreadable-" + label.TrimStart('#').Replace('/', '-'));
            Directory.CreateDirectory(dir);
        }

        var record = JsonSerializer.SerializeToUtf8Bytes(new QuarantineRecord(label, stage, code, message, bytes, sha), DeidJsonContext.Default.QuarantineRecord);
        var reason = Path.Combine(dir, "reason.json");
        writer.Write(reason, fs => fs.Write(record), publish => _order!.Commit(reason, position, publish));
        Interlocked.Increment(ref _quarantined);
    }

    private static string Sha256Hex(SafeFileHandle handle, long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long done = 0;
            int n;
            while (done < length && (n = RandomAccess.Read(handle, buffer, done)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                done += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Our exceptions' messages are PHI-free by construction; the runtime's I/O messages carry the file path,
    /// whose name may hold a patient's name, so they are replaced by what kind of failure it was.</summary>
    private static string MessageOf(Exception e) => e switch
    {
        DeidOutputException o => o.Message,
        FileNotFoundException or DirectoryNotFoundException => "the input cannot be opened (it is gone or a dangling link)",
        UnauthorizedAccessException => "the input cannot be read (permission denied)",
        IOException => $"the input cannot be read ({e.GetType().Name})",
        _ => e.Message,
    };

    public static string CodeOf(Exception e) => e switch
    {
        DeidRejectedException r => r.Code,
        DeidOutputException => "output-io-error",
        DicomTruncatedException => "truncated",
        DicomLimitExceededException => "limit-exceeded",
        DicomFormatException => "not-dicom-or-malformed",
        DicomValueException => "bad-value",
        IOException or UnauthorizedAccessException => "io-error",
        _ => "dicom-error",
    };
}
