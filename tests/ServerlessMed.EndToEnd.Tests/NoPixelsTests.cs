using ServerlessMed.Deid;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>An instance without pixel data (an SR) is de-identified and recorded as "no-pixels": a normal outcome,
/// counted, with nothing to embed and no generation request, never a failure.</summary>
public sealed class NoPixelsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_SR_is_deidentified_recorded_as_no_pixels_and_counted_not_quarantined()
    {
        var options = PrefixedStorage.Options(azurite.ConnectionString, "np-");
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), EncoderFolder = TestModels.Encoder }, new CapturingLogger());
        await host.Storage.EnsureCreatedAsync(Ct);
        var uploads = host.Storage.Container(options.Uploads);
        await uploads.GetBlobClient("Doe^Jane-report.dcm").UploadAsync(Corpus.Get("highdicom/sr_document.dcm").FullPath, Ct);
        await uploads.GetBlobClient("Doe^Jane-ct.dcm").UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);

        await host.RunUntilIdleAsync(runGeneration: false, cancellationToken: Ct);
        var inv = await StorageInventory.ReadAsync(host.Storage, Ct);

        Assert.Equal(2, inv.ProcessedUploads);
        Assert.Equal(0, inv.QuarantinedUploads);
        Assert.Equal(1, inv.NoPixelUploads);
        var sr = Assert.Single(inv.Records, r => r.Status == InstanceOutcome.NoPixels);
        Assert.NotNull(sr.Audit);
        Assert.NotNull(sr.Fingerprints);
        Assert.Null(sr.Embeddings);
        Assert.False(inv.HasEmbedding(sr.SopUid!));
        Assert.Equal(2, inv.DeidInstances.Count);
        Assert.Equal(1, inv.EmbeddedInstances);
        Assert.Equal((2L, 1L, 1L, 1L, 0L), (host.Metrics.Get("deidentified"), host.Metrics.Get("no-pixels"), host.Metrics.Get("embedded"), host.Metrics.Get("generation-requests"), host.Metrics.Get("quarantined")));
        Assert.Empty(inv.Uploads);
    }
}
