using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>The GPU worker's half on a real Azurite: generation messages on the queue → outputs in generated/, failure
/// documents and dead letters for requests that cannot succeed, leases renewed while a job runs, and a message
/// given back at once when the worker is stopped.</summary>
public sealed class GenerationWorkerTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<GenerationHost> HostAsync(string prefix, CapturingLogger logger)
    {
        var storage = PrefixedStorage.Options(azurite.ConnectionString, prefix, maxDeliveryCount: 2);
        // The worker's half alone: no tenant key, no policy, no encoder.
        var host = GenerationHost.Create(new GenerationHostOptions { Storage = storage, DiffusionFolder = TestModels.Diffusion }, logger);
        await host.Storage.EnsureCreatedAsync(Ct);
        return host;
    }

    private static GenerationMessage Message(string deidBlob, string requestId) => new()
    {
        RequestId = requestId,
        StudyUid = "2.25.1",
        SeriesUid = "2.25.2",
        SopUid = "2.25.3",
        DeidBlob = deidBlob,
        Prompt = "unused when prompts are given",
        Prompts = [new PromptPart("a ct image", 1f), new PromptPart("chest", 0.5f)],
        NegativePrompt = "noise",
        Scheduler = "dpm++2m-karras",
        Strength = 0.6f,
        Steps = 6,
        Count = 2,
        Seed = 3,
    };

    private static async Task<Dictionary<string, byte[]>> ReadAllAsync(GenerationHost host, string prefix)
    {
        var container = host.Storage.Container(host.Storage.Options.Generated);
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, Ct))
        {
            result[blob.Name] = (await container.GetBlobClient(blob.Name).DownloadContentAsync(Ct)).Value.Content.ToArray();
        }

        return result;
    }

    [Fact]
    public async Task A_queued_request_becomes_images_dicom_and_provenance_once_however_often_it_is_delivered()
    {
        var logger = new CapturingLogger();
        using var host = await HostAsync("w1", logger);
        await host.Storage.Container(host.Storage.Options.Deid).GetBlobClient("s/ct.dcm").UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);
        var message = Message("s/ct.dcm", "greq1");
        await host.GenerationQueue.SendAsync(message.ToJson(), Ct);

        Assert.Equal(1, await host.GenerationProcessor!.ProcessAvailableAsync(Ct));
        var first = await ReadAllAsync(host, "2.25.1/greq1/");
        Assert.Equal(["0.dcm", "0.png", "1.dcm", "1.png", "request.json", "source.png"], first.Keys.Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var provenance = JsonDocument.Parse(first["2.25.1/greq1/request.json"]).RootElement;
        Assert.Equal("DPMSolverMultistepScheduler", provenance.GetProperty("scheduler").GetString());
        Assert.Equal(64, provenance.GetProperty("modelHash").GetString()!.Length);
        Assert.Equal(0.6f, provenance.GetProperty("strength").GetSingle());
        Assert.Equal(2, provenance.GetProperty("prompts").GetArrayLength());
        Assert.Equal("CPUExecutionProvider", provenance.GetProperty("executionProvider").GetString());

        // dciodvfy finds no error in the synthetic instance, and it points at its source.
        var dcm = Path.Combine(Path.GetTempPath(), $"smed-gen-{Guid.NewGuid():N}.dcm");
        await File.WriteAllBytesAsync(dcm, first["2.25.1/greq1/0.dcm"], Ct);
        var check = ExternalTool.Run("dciodvfy", [dcm]);
        var errors = (check.StdOut + "\n" + check.StdErr).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(errors, e => !e.Contains("(0x0008,0x001c)", StringComparison.Ordinal));
        // The one error left is Debian's dicom3tools not knowing Synthetic Data (0008,001C), which the standard added
        // after that release; the issue requires the attribute, and our PS3.6 dictionary has it.
        Assert.True(DicomDictionary.Default.TryGet(DicomTag.SyntheticData, out _));
        var ds = DicomFile.Open(dcm).Dataset;
        Assert.Equal("YES", ds.GetString(DicomTag.SyntheticData));
        Assert.Equal("NO", ds.GetString(DicomTag.BurnedInAnnotation));
        Assert.Contains("tiny-sd", ds.GetString(DicomTag.DerivationDescription), StringComparison.Ordinal);
        Assert.Contains("greq1", ds.GetString(DicomTag.DerivationDescription), StringComparison.Ordinal);

        // Delivered again (at-least-once): it completes and changes nothing.
        await host.GenerationQueue.SendAsync(message.ToJson(), Ct);
        Assert.Equal(1, await host.GenerationProcessor.ProcessAvailableAsync(Ct));
        var second = await ReadAllAsync(host, "2.25.1/greq1/");
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        Assert.All(first, kv => Assert.Equal(kv.Value, second[kv.Key]));
        Assert.Equal(0, await host.GenerationQueue.CountAsync(Ct));
    }

    [Fact]
    public async Task Requests_that_cannot_succeed_get_a_failure_document_and_are_dead_lettered_without_blocking_others()
    {
        var logger = new CapturingLogger();
        using var host = await HostAsync("w2", logger);
        await host.Storage.Container(host.Storage.Options.Deid).GetBlobClient("s/ct.dcm").UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);
        await host.GenerationQueue.SendAsync(Message("s/missing.dcm", "gmissing").ToJson(), Ct);
        await host.GenerationQueue.SendAsync("{not json", Ct);
        await host.GenerationQueue.SendAsync(Message("s/ct.dcm", "gv2").ToJson().Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal), Ct);
        await host.GenerationQueue.SendAsync((Message("s/ct.dcm", "gbadsched") with { Scheduler = "heun" }).ToJson(), Ct);
        await host.GenerationQueue.SendAsync(Message("s/ct.dcm", "gok").ToJson(), Ct);

        while (await host.GenerationProcessor!.ProcessAvailableAsync(Ct) > 0)
        {
        }

        var inv = await StorageInventory.ReadAsync(host.Storage, Ct);
        Assert.Contains("2.25.1/gok", inv.GeneratedRequests);
        Assert.Equal(4, inv.GenerationFailures.Count);
        var missing = JsonDocument.Parse((await ReadAllAsync(host, "2.25.1/gmissing/"))["2.25.1/gmissing/failure.json"]).RootElement;
        Assert.Equal("source-missing", missing.GetProperty("code").GetString());
        var badScheduler = JsonDocument.Parse((await ReadAllAsync(host, "2.25.1/gbadsched/"))["2.25.1/gbadsched/failure.json"]).RootElement;
        Assert.Equal("invalid-request", badScheduler.GetProperty("code").GetString());
        Assert.Contains("heun", badScheduler.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(inv.GenerationFailures, f => f.StartsWith("_failed/", StringComparison.Ordinal));
        var poison = host.Storage.Queue(host.Storage.Options.GenerationQueue + "-poison");
        Assert.Equal(4, (await poison.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount);
        Assert.Equal(0, await host.GenerationQueue.CountAsync(Ct));
    }

    [Fact]
    public async Task A_long_job_keeps_its_lease_and_a_stopped_worker_gives_its_job_back_at_once()
    {
        var logger = new CapturingLogger();
        using var host = await HostAsync("w3", logger);
        var queue = host.GenerationQueue;
        await queue.SendAsync("job", Ct);
        var otherWorkerSaw = 0;
        var processor = new QueueProcessor(queue, async (m, ct) =>
        {
            // The job outlives its 2 s lease three times over; renewals every 0.5 s keep others from seeing it.
            for (var i = 0; i < 6; i++)
            {
                await Task.Delay(1000, ct);
                otherWorkerSaw += (await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30), ct)).Count;
            }
        }, _ => FailureKind.Transient, logger)
        { Lease = TimeSpan.FromSeconds(2), RenewEvery = TimeSpan.FromMilliseconds(500) };
        Assert.Equal(1, await processor.ProcessAvailableAsync(Ct));
        Assert.Equal(0, otherWorkerSaw);
        Assert.Equal(0, await queue.CountAsync(Ct));

        // SIGTERM mid-job: the message is abandoned, visible to the next worker straight away (not after its lease).
        await queue.SendAsync("job2", Ct);
        using var stop = new CancellationTokenSource();
        var stopping = new QueueProcessor(queue, async (m, ct) =>
        {
            await stop.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
        }, _ => FailureKind.Transient, logger)
        { Lease = TimeSpan.FromMinutes(5) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopping.ProcessAvailableAsync(stop.Token));
        var again = await queue.ReceiveAsync(1, TimeSpan.FromSeconds(30), Ct);
        Assert.Single(again);
        Assert.Equal("job2", again[0].Body);
        Assert.Equal(2, again[0].DequeueCount);
    }
}

/// <summary>Models come from the tenant's models container and are cached on local disk by content.</summary>
public sealed class ModelCacheTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_model_is_downloaded_once_per_content_and_refetched_when_it_changes()
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString, Models = "mc-models" });
        await storage.Container("mc-models").CreateIfNotExistsAsync(cancellationToken: Ct);
        foreach (var file in Directory.EnumerateFiles(TestModels.Diffusion, "*", SearchOption.AllDirectories))
        {
            var name = "tiny-sd/" + Path.GetRelativePath(TestModels.Diffusion, file).Replace('\\', '/');
            await storage.Container("mc-models").GetBlobClient(name).UploadAsync(file, Ct);
        }

        var root = Path.Combine(Path.GetTempPath(), "smed-cache-" + Guid.NewGuid().ToString("N"));
        var logger = new CapturingLogger();
        var cache = new ModelCache(storage, root, logger);
        var first = await cache.GetAsync("tiny-sd", Ct);
        Assert.Equal(ServerlessMed.Inference.Diffusion.ModelHash.Of(TestModels.Diffusion), ServerlessMed.Inference.Diffusion.ModelHash.Of(first));
        using (var model = new ServerlessMed.Inference.Diffusion.DiffusionModel(first, new ServerlessMed.Inference.Onnx.OnnxSessionFactory(new())))
        {
            Assert.Equal("tiny-sd", model.Id);
        }

        Assert.Equal(first, await cache.GetAsync("tiny-sd", Ct));
        Assert.Contains("found in the local cache", logger.AllText, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(root));

        await storage.Container("mc-models").GetBlobClient("tiny-sd/unet/config.json").UploadAsync(BinaryData.FromString("{\"in_channels\": 4}"), overwrite: true, Ct);
        var second = await cache.GetAsync("tiny-sd", Ct);
        Assert.NotEqual(first, second);
        Assert.Equal(2, Directory.GetDirectories(root).Length);

        await Assert.ThrowsAsync<FileNotFoundException>(() => cache.GetAsync("absent", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => cache.GetAsync("../etc", Ct));
    }
}

/// <summary>Out of device memory: the worker halves the UNet batch until it fits, then gives up as transient.</summary>
public sealed class MemoryFallbackTests
{
    private static readonly ServerlessMed.Inference.Diffusion.GenerationRequest Request = new()
    {
        Prompts = [new ServerlessMed.Inference.Diffusion.WeightedPrompt("x")],
        Count = 8,
        ImagesPerBatch = 8,
    };

    [Fact]
    public void The_batch_is_halved_until_it_fits()
    {
        var tried = new List<int>();
        var logger = new CapturingLogger();
        var result = ServerlessMed.Pipeline.Stages.GenerationStage.WithMemoryFallback(Request, r =>
        {
            tried.Add(r.ImagesPerBatch);
            return r.ImagesPerBatch > 2 ? throw new OutOfMemoryException("CUDA failure 2: out of memory") : (IReadOnlyList<int>)[r.ImagesPerBatch];
        }, logger, "greq");
        Assert.Equal([8, 4, 2], tried);
        Assert.Equal([2], result);
        Assert.Contains("retrying with 2", logger.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void At_one_image_per_batch_it_is_a_transient_failure_and_other_errors_pass_through()
    {
        Assert.Throws<InsufficientMemoryException>(() => ServerlessMed.Pipeline.Stages.GenerationStage.WithMemoryFallback<int>(Request, _ => throw new OutOfMemoryException("Failed to allocate memory"), new CapturingLogger(), "g"));
        Assert.Equal(FailureKind.Transient, FailureClassifier.Classify(new InsufficientMemoryException()));
        Assert.Throws<InvalidOperationException>(() => ServerlessMed.Pipeline.Stages.GenerationStage.WithMemoryFallback<int>(Request, _ => throw new InvalidOperationException("out of memory? no: a bug"), new CapturingLogger(), "g"));
    }
}
