using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using ServerlessMed.Deid;
using ServerlessMed.Files;
using ServerlessMed.Files.Archives;
using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.Workflow.Local;

/// <summary>The last line <c>smed deid</c> prints.</summary>
public sealed record DeidBatchSummary(int Inputs, int Written, int Quarantined, double Seconds);

/// <summary><c>smed deid</c>: the workflow over files and zip entries on local disk, in parallel, into a
/// <see cref="LocalFolder"/> (<c>{out}/{study'}/{series'}/{sop'}.dcm</c>, the run's audit log, quarantined inputs
/// under <c>{quarantine}/{sha256[..32]}/</c>), so written + quarantined = inputs.</summary>
public sealed class DeidBatch(Deidentifier deidentifier, string outDir, string quarantineDir)
{
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
        var workflow = new InstanceWorkflow(deidentifier, null) { DeferValuesOver = DeferValuesOver, ZipLimits = ZipLimits };
        // Dedicated threads taking the next input in turn: the thread pool injects workers beyond the core count
        // only slowly, and a worker waiting in the kernel (file creation, rename) would leave a core idle.
        var next = -1;
        var count = Math.Min(Parallelism, Math.Max(1, paths.Count));
        using var folder = new LocalFolder(outDir, quarantineDir, count);
        var order = folder.Order;
        // Each worker has its own file writer: outputs it replaces are deleted in batches, not one by one (AtomicFileWriter).
        var workers = Enumerable.Range(0, count).Select(w => new Thread(() =>
        {
            using var writer = new AtomicFileWriter();
            var sink = new LocalFolderSink(folder, writer);
            while (true)
            {
                order.Enter(w, Position(Volatile.Read(ref next) + 1)); // no later than what it takes next
                var i = Interlocked.Increment(ref next);
                if (i >= paths.Count)
                {
                    break;
                }

                order.Enter(w, Position(i));
                RunOne(workflow, sink, Path.GetFullPath(paths[i]), i);
            }

            order.Leave(w);
        })
        { IsBackground = true }).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return new DeidBatchSummary(_inputs, _written, _quarantined, Math.Round(sw.Elapsed.TotalSeconds, 3));
    }

    /// <summary>Where input <paramref name="index"/> stands in input order (its zip entries follow it, one step each).</summary>
    private static long Position(int index) => (long)index << 32;

    /// <summary>Opens an input once: its first bytes say zip or not, and the same handle is parsed as DICOM (with
    /// positional reads only: no read-ahead hint, no seeks). Synchronous throughout: the local sink completes every
    /// call at once.</summary>
    private void RunOne(InstanceWorkflow workflow, LocalFolderSink sink, string path, int index)
    {
        using var handle = OpenOrNull(path);
        var results = workflow.RunInputAsync(new WorkflowInput($"#{index + 1}", Position(index), path, handle), sink).GetAwaiter().GetResult();
        foreach (var r in results)
        {
            switch (r.Outcome)
            {
                case InstanceOutcome.Expanded:
                    continue;
                case InstanceOutcome.Quarantined:
                    Interlocked.Increment(ref _quarantined);
                    Problems.Add((r.Input, r.Quarantine!.Message));
                    break;
                default:
                    Interlocked.Increment(ref _written);
                    break;
            }

            Interlocked.Increment(ref _inputs);
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
            return null; // unreadable: the workflow reports it
        }
    }
}
