using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Benchmarks;

/// <summary>N instances (corpus images re-stamped with fresh UIDs) uploaded to Azurite while a runner (local event
/// source + ingest with the test encoder) works on them; prints instances/s and the upload→embedding latency of each
/// instance (upload completed → its receipt, written after its de-identified copy and embedding); then the storage
/// requests per instance by kind, the CPU per instance of this process and of the emulator, and Azurite's ceiling for
/// the same workload (<see cref="WorkflowReplay"/>; the flat <see cref="StorageCeiling"/> loop for comparison).</summary>
internal static class PipelineLoadBench
{
    private static readonly string[] Templates = ["pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/emri_small.dcm", "pydicom/SC_rgb_small_odd.dcm", "pydicom/MR_small_RLE.dcm"];

    /// <summary>SMED_BENCH_ROUNDS rounds (default 5), each a pipeline run on a fresh Azurite and then its workload
    /// replayed on another. A run's ceiling is the better of the replays just before and just after it: the machine's
    /// speed drifts over minutes (a shared VM), and one emulator process serves the same workload up to 15% faster or
    /// slower than the next, so a run is measured against its neighbours and the goal is read on the median ratio.</summary>
    public static async Task<int> RunAsync(int count, string models)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("SMED_BENCH_ROUNDS"), CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 5;
        var payloads = MakePayloads(count);
        var runs = new List<RoundResult>();
        var replays = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            Console.WriteLine($"-- round {round} of {rounds}");
            var run = await RunPipelineAsync(count, models, payloads);
            runs.Add(run);

            // The replay of this run's workload: its requests in its shape, with its backlog (WorkflowReplay), on an
            // Azurite process of its own started empty as the run's was (the run's emulator is stopped by then: idle,
            // it still sweeps what the run deleted, its queue GC each minute, which would take CPU from the replay).
            await using var fresh = await Emulators.StartAsync();
            var cpu = (Bench: Process.GetCurrentProcess().TotalProcessorTime, Azurite: fresh.ProcessorTime);
            var replay = await WorkflowReplay.MeasureAsync(fresh.ConnectionString, run.Mix, UploadConcurrency, run.IngestConcurrency, round);
            replays.Add(replay.InstancesPerSecond);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay (Azurite alone, the same workload): {replay.InstancesPerSecond:F1} instances/s ({(double)replay.Requests / count:F2} requests per instance by a plain loop in the run's shape, {UploadConcurrency} uploads and {run.IngestConcurrency} instances in flight, peak ingest backlog {replay.PeakBacklog} messages, in {replay.Elapsed.TotalSeconds:F2} s; {CpuLine("loop", cpu, fresh, count, replay.Elapsed)})"));
        }

        var ratios = new List<double>();
        for (var i = 0; i < runs.Count; i++)
        {
            var ceiling = i == 0 ? replays[0] : Math.Max(replays[i - 1], replays[i]);
            ratios.Add(runs[i].Throughput / ceiling);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {i + 1}: pipeline {runs[i].Throughput:F1} instances/s, Azurite ceiling {ceiling:F1} (the better replay beside it), pipeline / ceiling {ratios[^1]:F2}"));
        }

        var last = runs[^1];
        var failed = runs.Any(x => !x.Complete);
        // For comparison, not the goal: the same kinds and counts as a flat loop, each instance's share in turn, so
        // nothing waits in the emulator (no backlog of uploads or messages): what Azurite serves for an easier load.
        {
            await using var fresh = await Emulators.StartAsync();
            var cpu = (Bench: Process.GetCurrentProcess().TotalProcessorTime, Azurite: fresh.ProcessorTime);
            var concurrency = last.IngestConcurrency + UploadConcurrency;
            var flat = await StorageCeiling.MeasureFlatAsync(new TenantStorage(new TenantStorageOptions { ConnectionString = fresh.ConnectionString }), last.Mix, concurrency, 1);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"for comparison, the last round's request kinds as a flat loop without the backlog: {flat.InstancesPerSecond:F1} instances/s ({flat.Requests} requests, {concurrency} in flight, in {flat.Elapsed.TotalSeconds:F2} s; {CpuLine("loop", cpu, fresh, count, flat.Elapsed)}); pipeline / that: {last.Throughput / flat.InstancesPerSecond:F2}"));
        }

        var sorted = ratios.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pipeline / ceiling: median {median:F2} over {rounds} round(s) (each {string.Join(", ", ratios.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}; goal >= 0.80)"));
        return failed ? 1 : 0;
    }

    /// <summary>What one pipeline run measured: its instances/s, the requests it made (with the uploads') and how many
    /// instances its stage handled at once.</summary>
    private sealed record RoundResult(double Throughput, StorageCeiling.Mix Mix, int IngestConcurrency, bool Complete);

    /// <summary>Corpus images re-stamped with fresh UIDs, made before any timing, so a run times upload + processing only.</summary>
    private static byte[][] MakePayloads(int count)
    {
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
        return payloads;
    }

    /// <summary>One pipeline run on an Azurite of its own: uploads while the runner works, until every upload is counted.</summary>
    private static async Task<RoundResult> RunPipelineAsync(int count, string models, byte[][] payloads)
    {
        await using var azurite = await Emulators.StartAsync();
        var connection = azurite.ConnectionString;
        if (Emulators.Split)
        {
            Console.WriteLine("blobs and queues served by two Azurite processes (the replays too)");
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

        using var stop = new CancellationTokenSource();
        // The ingest backlog (announced, not yet handled), deepest after a poll: what Azurite's queue held.
        long announcedTotal = 0, handledTotal = 0, peakBacklog = 0;
        var runner = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var work = await host.EventSource.PollAsync(stop.Token);
                announcedTotal += work;
                peakBacklog = Math.Max(peakBacklog, announcedTotal - handledTotal);
                int handled;
                while ((handled = await host.IngestProcessor.ProcessAvailableAsync(stop.Token)) > 0)
                {
                    work += handled;
                    handledTotal += handled;
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
        var cpuAtStart = (Bench: Process.GetCurrentProcess().TotalProcessorTime, Azurite: azurite.ProcessorTime);
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
        var cpuLine = CpuLine("bench process", cpuAtStart, azurite, count, sw.Elapsed);
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
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput: {throughput:F1} instances/s (upload start to last instance done); peak ingest backlog {peakBacklog} messages"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload→embedding latency: p50 {P(0.50):F2} s, p95 {P(0.95):F2} s, max {latencies.LastOrDefault():F2} s"));
        PrintRequests(pipelineRequests, uploadRequests, count);
        // Where the two cores went: this process (uploads, ingest stage, SDK) and the emulator, per instance.
        Console.WriteLine(cpuLine);

        await azurite.StopAsync();

        return new RoundResult(throughput, mix, options.IngestConcurrency, completions.Count == count);
    }

    private const int UploadConcurrency = 8;

    /// <summary>Where the cores went since <paramref name="start"/>: this process (named <paramref name="self"/>) and
    /// the emulator, per instance, and how busy the machine was.</summary>
    private static string CpuLine(string self, (TimeSpan Bench, TimeSpan Azurite) start, Emulators emulator, int count, TimeSpan elapsed)
    {
        var loop = Process.GetCurrentProcess().TotalProcessorTime - start.Bench;
        var azurite = emulator.ProcessorTime - start.Azurite;
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU per instance: {self} {loop.TotalMilliseconds / count:F1} ms, Azurite {azurite.TotalMilliseconds / count:F1} ms ({Environment.ProcessorCount} cores; {(loop + azurite).TotalSeconds / elapsed.TotalSeconds / Environment.ProcessorCount:P0} busy)");
    }

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
