using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using ServerlessMed.Deid;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>Storage requests per instance through ingest, counted on the wire (an Azure.Core policy added through the
/// clients' options, once per try, so SDK retries would show), on a real Azurite: the ingest stage makes six per
/// embedded instance (download, de-identified write, the .npy, the instance record, the generation message, the
/// upload's delete) and the queue pump one more (the message's delete) plus its receives.</summary>
public sealed class RequestCountTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Counts requests by "METHOD container-or-queue".</summary>
    private sealed class CountingPolicy : HttpPipelineSynchronousPolicy
    {
        public ConcurrentDictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

        public override void OnSendingRequest(HttpMessage message)
        {
            // Azurite's path style: /{account}/{container or queue}/...
            var segments = message.Request.Uri.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            Counts.AddOrUpdate($"{message.Request.Method} {(segments.Length > 1 ? segments[1] : "-")}", 1, (_, n) => n + 1);
        }

        public int Total(Func<string, bool> which) => Counts.Where(c => which(c.Key)).Sum(c => c.Value);
    }

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

        var counter = new CountingPolicy();
        var storage = new TenantStorage(options, configure: o => o.AddPolicy(counter, HttpPipelinePosition.PerRetry));
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
        var byStage = counter.Total(k => !k.EndsWith(" " + options.IngestQueue, StringComparison.Ordinal));
        var byPump = counter.Total(k => k.EndsWith(" " + options.IngestQueue, StringComparison.Ordinal));
        var report = string.Join(", ", counter.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}"));
        var summary = $"requests per instance: {(double)(byStage + byPump) / instances:F2} ({(double)byStage / instances:F2} by the stage, {(double)byPump / instances:F2} by the queue pump); {report}";
        TestContext.Current.SendDiagnosticMessage(summary);
        if (Environment.GetEnvironmentVariable("SMED_REQUEST_REPORT") is { Length: > 0 } file)
        {
            File.WriteAllText(file, summary + "\n"); // for the note and the lead's bench: the numbers, not just pass/fail
        }

        Assert.True(byStage == 6 * instances, $"{byStage} stage requests for {instances} instances: {report}");
        Assert.Equal(instances, counter.Counts.GetValueOrDefault("DELETE " + options.IngestQueue));
        Assert.True(byPump <= instances + 2, $"{byPump} queue requests: {report}");
    }
}
