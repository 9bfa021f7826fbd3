using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessMed.Azurite;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Benchmarks;

/// <summary>N instances (corpus images re-stamped with fresh UIDs) uploaded to Azurite while a runner (local event
/// source + ingest with the test encoder) works on them; prints instances/s and the upload→embedding latency of each
/// instance (upload completed → its receipt, written after its de-identified copy and embedding); then the storage
/// requests per instance by kind and Azurite's ceiling for the same mix (<see cref="StorageCeiling"/>).</summary>
internal static class PipelineLoadBench
{
    private static readonly string[] Templates = ["pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/emri_small.dcm", "pydicom/SC_rgb_small_odd.dcm", "pydicom/MR_small_RLE.dcm"];

    public static async Task<int> RunAsync(int count, string models)
    {
        var repo = Path.GetDirectoryName(CorpusFiles.Root)!;
        await using var azurite = await AzuriteLauncher.StartAsync(AppContext.BaseDirectory);
        var connection = azurite.ConnectionString;

        // SMED_BENCH_SPLIT_AZURITE=1: blobs from one Azurite process, queues from a second, so the emulator's two busy
        // services each get a node thread of their own (Azurite is single-threaded per process).
        await using var queues = Environment.GetEnvironmentVariable("SMED_BENCH_SPLIT_AZURITE") == "1" ? await AzuriteLauncher.StartAsync(AppContext.BaseDirectory) : null;
        if (queues is not null)
        {
            connection = connection.Replace($"QueueEndpoint=http://127.0.0.1:{azurite.QueuePort}/", $"QueueEndpoint=http://127.0.0.1:{queues.QueuePort}/", StringComparison.Ordinal);
            Console.WriteLine($"blob service on port {azurite.BlobPort}, queue service on port {queues.QueuePort} (separate processes)");
        }

        // Every request of the pipeline is counted (by kind, with its bytes); the bench's uploads through a client of
        // their own, counted apart; its reads of the results through a third, not counted.
        var pipelineRequests = new RequestCounter();
        var uploadRequests = new RequestCounter();
        // SMED_BENCH_INGEST_CONCURRENCY=N: instances the ingest stage handles at once (default: the options' own).
        var options = new TenantStorageOptions { ConnectionString = connection, BlobPolicies = [pipelineRequests.BlobPolicy], QueuePolicies = [pipelineRequests.QueuePolicy] };
        if (int.TryParse(Environment.GetEnvironmentVariable("SMED_BENCH_INGEST_CONCURRENCY"), CultureInfo.InvariantCulture, out var ingestConcurrency) && ingestConcurrency > 0)
        {
            options = new TenantStorageOptions { ConnectionString = connection, BlobPolicies = options.BlobPolicies, QueuePolicies = options.QueuePolicies, IngestConcurrency = ingestConcurrency };
        }

        // SMED_BENCH_POLICY=FILE: the tenant policy to ingest under (e.g. burnedIn.detect none, to see the OCR's share).
        var policy = Environment.GetEnvironmentVariable("SMED_BENCH_POLICY") is { Length: > 0 } policyFile ? TenantPolicy.Load(policyFile) : TenantPolicy.Default;
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), Policy = policy, EncoderFolder = Path.Combine(models, "encoders", "tiny-gray") }, NullLogger.Instance);
        await host.Storage.EnsureCreatedAsync();
        pipelineRequests.Reset();
        var client = new TenantStorage(new TenantStorageOptions { ConnectionString = connection, BlobPolicies = [uploadRequests.BlobPolicy], QueuePolicies = [uploadRequests.QueuePolicy] });
        var observer = new TenantStorage(new TenantStorageOptions { ConnectionString = connection });

        // Payloads first, so the timed part is upload + processing only.
        var templates = Templates.Select(t => File.ReadAllBytes(Path.Combine(CorpusFiles.Root, t))).ToList();
        var payloads = new byte[count][];
        Parallel.For(0, count, i =>
        {
            var file = DicomFile.Open(new MemoryStream(templates[i % templates.Count]));
            file.Dataset.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.9.7433.3.{count}.{i}");
            file.Dataset.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.9.7433.4.{count}.{i / 50}");
            var ms = new MemoryStream();
            file.Save(ms);
            payloads[i] = ms.ToArray();
        });

        using var stop = new CancellationTokenSource();
        var runner = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var work = await host.EventSource.PollAsync(stop.Token);
                int handled;
                while ((handled = await host.IngestProcessor.ProcessAvailableAsync(stop.Token)) > 0)
                {
                    work += handled;
                }

                if (work == 0)
                {
                    await Task.Delay(50, stop.Token);
                }
            }
        });

        // Receipts name instances by de-identified SOP UID; the bench knows the key, so it maps its own UIDs the same way.
        var mapper = new KeyedMapper(new TenantKey(new byte[32]), DeidPolicy.Default);
        var uploaded = new ConcurrentDictionary<string, DateTimeOffset>();
        var sw = Stopwatch.StartNew();
        var uploads = client.Container(options.Uploads);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = UploadConcurrency }, async (i, ct) =>
        {
            var name = $"load/{i:D5}.dcm";
            await uploads.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(payloads[i]), ct);
            uploaded[mapper.MapUid($"1.2.826.0.1.3680043.9.7433.3.{count}.{i}")] = DateTimeOffset.UtcNow;
        });
        var uploadSeconds = sw.Elapsed.TotalSeconds;

        // Done when the stage has counted every upload (in process: polling storage would add requests to the run).
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (host.Metrics.Get("deidentified") + host.Metrics.Get("quarantined") < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var total = sw.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        try
        {
            await runner;
        }
        catch (OperationCanceledException)
        {
        }

        var mix = StorageCeiling.Mix.Of(count, pipelineRequests, uploadRequests);
        var completions = await ReadCompletionsAsync(observer);
        var latencies = completions.Where(c => c.SopUid is not null && uploaded.ContainsKey(c.SopUid)).Select(c => (c.At - uploaded[c.SopUid!]).TotalSeconds).Order().ToArray();
        double P(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var throughput = completions.Count / total;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} instances uploaded in {uploadSeconds:F2} s; {completions.Count} processed ({completions.Count(c => c.Quarantined)} quarantined) in {total:F2} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput: {throughput:F1} instances/s (upload start to last instance done)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload→embedding latency: p50 {P(0.50):F2} s, p95 {P(0.95):F2} s, max {latencies.LastOrDefault():F2} s"));
        PrintRequests(pipelineRequests, uploadRequests, count);

        // Azurite's ceiling for the same mix (pipeline + uploads), twice, the better counting: a ceiling is the most
        // the emulator serves, and a shared machine's other work only ever lowers a replay. The first with as many
        // requests in flight as the run had during its uploads, the second with the ingest stage's alone (the run's
        // after its uploads ended). Each replay gets an Azurite process of its own, started empty as the run's was:
        // replayed on the run's own Azurite, every request paid for the thousands of blobs and records the run left
        // in the emulator's in-memory tables, and the "ceiling" came out below the pipeline (ratios 1.2-1.8).
        var best = 0.0;
        for (var round = 1; round <= 2; round++)
        {
            var concurrency = round == 1 ? options.IngestConcurrency + UploadConcurrency : options.IngestConcurrency;
            await using var fresh = await AzuriteLauncher.StartAsync(AppContext.BaseDirectory);
            var ceiling = await StorageCeiling.MeasureAsync(new TenantStorage(new TenantStorageOptions { ConnectionString = fresh.ConnectionString }), mix, concurrency, round);
            best = Math.Max(best, ceiling.InstancesPerSecond);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Azurite ceiling for this mix, replay {round}: {ceiling.InstancesPerSecond:F1} instances/s ({ceiling.Requests} requests by a plain loop, {concurrency} in flight, in {ceiling.Elapsed.TotalSeconds:F2} s)"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pipeline / ceiling: {throughput / best:F2} (goal >= 0.80)"));
        _ = repo;
        return completions.Count == count ? 0 : 1;
    }

    private const int UploadConcurrency = 8;

    private static void PrintRequests(RequestCounter pipeline, RequestCounter uploads, int count)
    {
        string PerInstance(long n) => ((double)n / count).ToString("0.00", CultureInfo.InvariantCulture);
        var kinds = Enum.GetValues<StorageRequestKind>().Where(k => pipeline.Count(k) > 0)
            .Select(k => string.Create(CultureInfo.InvariantCulture, $"{k} {PerInstance(pipeline.Count(k))} (avg {pipeline.Bytes(k) / pipeline.Count(k)} B)"));
        Console.WriteLine($"storage requests per instance (pipeline): {PerInstance(pipeline.Total)}: {string.Join(", ", kinds)}");
        Console.WriteLine($"storage requests per instance (the bench's upload): {PerInstance(uploads.Total)}");
    }

    /// <summary>One instance done: its de-identified SOP UID (null for a quarantined upload) and when it finished.</summary>
    private sealed record Completion(string? SopUid, DateTimeOffset At, bool Quarantined);

    /// <summary>When each instance finished, from the per-upload records the ingest stage writes last (read through
    /// <see cref="StorageInventory"/>, the one place that knows their layout).</summary>
    private static async Task<List<Completion>> ReadCompletionsAsync(TenantStorage storage)
    {
        var inventory = await StorageInventory.ReadAsync(storage);
        return [.. inventory.Records
            .Where(r => r.Status != ServerlessMed.Workflow.Outcomes.InstanceOutcome.Expanded)
            .Select(r => new Completion(r.SopUid, r.At, r.Status == ServerlessMed.Workflow.Outcomes.InstanceOutcome.Quarantined))];
    }
}
