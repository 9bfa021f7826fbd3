using ServerlessMed.Deid;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Events;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>The local event source's checkpoint sits in the audit container: it must not hold upload names (a
/// hospital's file names often carry the patient's name or MRN), yet still announce each upload version once; a
/// checkpoint it cannot read (an earlier format, a damaged file) costs a harmless re-announcement, not a failed poll.</summary>
public sealed class LocalEventSourceTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_checkpoint_keeps_hashes_of_upload_names_never_the_names_and_announces_each_version_once()
    {
        var options = PrefixedStorage.Options(azurite.ConnectionString, "les-");
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), EncoderFolder = TestModels.Encoder }, new CapturingLogger());
        await host.Storage.EnsureCreatedAsync(Ct);
        var uploads = host.Storage.Container(options.Uploads);
        const string name = "Doe^Jonathan/MRN-4471902 1968-03-14.dcm";
        await uploads.GetBlobClient(name).UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);
        // The version as a listing gives it (the event source's source of truth; a PUT's response quotes it).
        var version = string.Empty;
        await foreach (var item in uploads.GetBlobsAsync(cancellationToken: Ct))
        {
            version = item.Properties.ETag?.ToString() ?? string.Empty;
        }

        Assert.Equal(1, await host.EventSource.PollAsync(Ct));
        var checkpoint = (await host.Storage.Container(options.Audit).GetBlobClient(LocalEventSource.CheckpointBlob).DownloadContentAsync(Ct)).Value.Content.ToString();
        foreach (var part in new[] { "Doe", "Jonathan", "4471902", "1968-03-14" })
        {
            Assert.DoesNotContain(part, checkpoint, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains(Pipeline.Storage.StorageLayout.UploadId(name, version), checkpoint, StringComparison.Ordinal);
        Assert.Equal(0, await host.EventSource.PollAsync(Ct));

        // A new version of the same name is announced again.
        await uploads.GetBlobClient(name).UploadAsync(Corpus.Get("pydicom/MR_small.dcm").FullPath, overwrite: true, Ct);
        Assert.Equal(1, await host.EventSource.PollAsync(Ct));
        Assert.Equal(2, await host.IngestQueue.CountAsync(Ct));

        var audit = host.Storage.Container(options.Audit).GetBlobClient(LocalEventSource.CheckpointBlob);
        await audit.UploadAsync(BinaryData.FromString("{\"old\": \"format\"}"), overwrite: true, Ct);
        Assert.Equal(1, await host.EventSource.PollAsync(Ct));
        Assert.Equal(0, await host.EventSource.PollAsync(Ct));
    }
}
