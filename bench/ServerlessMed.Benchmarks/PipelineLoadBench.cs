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
/// instance (upload completed → its receipt, written after its de-identified copy and embedding).</summary>
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

        var options = new TenantStorageOptions { ConnectionString = connection };
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), EncoderFolder = Path.Combine(models, "encoders", "tiny-gray") }, NullLogger.Instance);
        await host.Storage.EnsureCreatedAsync();

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
        var uploads = host.Storage.Container(options.Uploads);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var name = $"load/{i:D5}.dcm";
            await uploads.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(payloads[i]), ct);
            uploaded[mapper.MapUid($"1.2.826.0.1.3680043.9.7433.3.{count}.{i}")] = DateTimeOffset.UtcNow;
        });
        var uploadSeconds = sw.Elapsed.TotalSeconds;

        var receipts = new Dictionary<string, UploadReceipt>();
        var audit = host.Storage.Container(options.Audit);
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (receipts.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            await foreach (var blob in audit.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "_uploads/", default))
            {
                var id = Path.GetFileNameWithoutExtension(blob.Name);
                if (!receipts.ContainsKey(id))
                {
                    var r = JsonSerializer.Deserialize<UploadReceipt>((await audit.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString(), json)!;
                    receipts[id] = r;
                }
            }
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

        var latencies = receipts.Values.Where(r => r.SopUid is not null && uploaded.ContainsKey(r.SopUid)).Select(r => (r.At - uploaded[r.SopUid!]).TotalSeconds).Order().ToArray();
        double P(double q) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        var last = receipts.Values.Max(r => r.At);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} instances uploaded in {uploadSeconds:F2} s; {receipts.Count} processed ({receipts.Values.Count(r => r.Status == "quarantined")} quarantined) in {total:F2} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"throughput: {receipts.Count / total:F1} instances/s (upload start to last receipt)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload→embedding latency: p50 {P(0.50):F2} s, p95 {P(0.95):F2} s, max {latencies.LastOrDefault():F2} s"));
        _ = last;
        _ = repo;
        return receipts.Count == count ? 0 : 1;
    }
}
