using ServerlessMed.Deid;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>Storage requests per instance through ingest, counted on the wire (an Azure.Core policy added through the
/// clients' options: RequestCounter, the load bench's counter), on a real Azurite: the ingest stage makes six per
/// embedded instance (download, de-identified write, the .npy, the instance record, the generation message, the
/// upload's delete) and the queue pump one more (the message's delete) plus its receives.</summary>
public sealed class RequestCountTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_embedded_instance_costs_six_requests_by_the_stage_and_one_delete_by_the_queue_pump()
    {
        const int instances = 8;
        var options = PrefixedStorage.Options(azurite.ConnectionString, "rq-");
        var plain = new TenantStorage(options);
        await plain.EnsureCreatedAsync(Ct);
        await ReliabilityTests.UploadRestampedAsync(plain, instances, "rq", Ct);
        var ingestQueue = plain.Queue(options.IngestQueue);
        await foreach (var blob in plain.Container(options.Uploads).GetBlobsAsync(cancellationToken: Ct))
        {
            var url = plain.Container(options.Uploads).GetBlobClient(blob.Name).Uri;
            await ingestQueue.SendMessageAsync(BlobCreatedEvent.For(options.Uploads, blob.Name, url, blob.Properties.ContentLength ?? 0, blob.Properties.ETag?.ToString() ?? string.Empty).ToJson(), Ct);
        }

        var counter = new RequestCounter();
        var storage = new TenantStorage(PrefixedStorage.Options(azurite.ConnectionString, "rq-", requests: counter));
        var generation = new StorageJobQueue(storage.Queue(options.GenerationQueue), storage.Queue(options.GenerationQueue + "-poison"));
        var logger = new CapturingLogger();
        using var encoder = new Inference.Encoders.ImageEncoder(TestModels.Encoder, new Inference.Onnx.OnnxSessionFactory(new Inference.Onnx.OnnxSessionOptions()));
        using var stage = new IngestStage(storage, new Deidentifier(new TenantKey(new byte[32]), TenantPolicy.Default.Deid), encoder, TenantPolicy.Default, generation, logger);
        var pump = StageProcessors.Ingest(stage, new StorageJobQueue(storage.Queue(options.IngestQueue), storage.Queue(options.IngestQueue + "-poison")), options, logger);
        while (await pump.ProcessAvailableAsync(Ct) > 0)
        {
        }

        Assert.Equal(instances, (int)stage.Metrics.Get("embedded"));
        Assert.Equal(instances, (int)stage.Metrics.Get("generation-requests"));
        // The stage: every blob request and the generation message (the only queue put here); the pump: the ingest
        // queue's receives, lease updates and deletes.
        StorageRequestKind[] pumpKinds = [StorageRequestKind.QueueGet, StorageRequestKind.QueueUpdate, StorageRequestKind.QueueDelete];
        var byPump = pumpKinds.Sum(k => counter.Count(k));
        var byStage = counter.Total - byPump;
        var report = string.Join(", ", Enum.GetValues<StorageRequestKind>().Where(k => counter.Count(k) > 0).Select(k => $"{k}: {counter.Count(k)}"));
        var summary = $"requests per instance: {(double)(byStage + byPump) / instances:F2} ({(double)byStage / instances:F2} by the stage, {(double)byPump / instances:F2} by the queue pump); {report}";
        TestContext.Current.SendDiagnosticMessage(summary);
        if (Environment.GetEnvironmentVariable("SMED_REQUEST_REPORT") is { Length: > 0 } file)
        {
            File.WriteAllText(file, summary + "\n"); // for the note and the lead's bench: the numbers, not just pass/fail
        }

        Assert.True(byStage == 6 * instances, $"{byStage} stage requests for {instances} instances: {report}");
        Assert.Equal(instances, counter.Count(StorageRequestKind.QueueDelete));
        Assert.Equal(instances, counter.Count(StorageRequestKind.QueuePut));
        Assert.True(byPump <= instances + 2, $"{byPump} queue requests: {report}");
    }
}
