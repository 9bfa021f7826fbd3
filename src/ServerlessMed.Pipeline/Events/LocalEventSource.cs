using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Events;

/// <summary>Azurite has no Event Grid: this lists uploads/ and enqueues a BlobCreated event (Event Grid schema) on
/// the ingest queue for each blob version not announced before. The checkpoint (the upload id of each announced
/// version, <see cref="StorageLayout.UploadId"/>: a hash of name and ETag, since upload names may hold PHI) is
/// persisted in the audit container, so a restarted runner does not announce twice what it already sent; announcing
/// twice would still be harmless (ingest is idempotent), so a checkpoint that cannot be read starts over.</summary>
public sealed class LocalEventSource(TenantStorage storage, IJobQueue ingestQueue)
{
    public const string CheckpointBlob = "_system/local-event-source.json";

    public async Task<int> PollAsync(CancellationToken cancellationToken = default)
    {
        var (announced, etag) = await LoadCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var container = storage.Container(storage.Options.Uploads);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var sent = 0;
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions(), cancellationToken).ConfigureAwait(false))
        {
            var version = item.Properties.ETag?.ToString() ?? string.Empty;
            var id = StorageLayout.UploadId(item.Name, version);
            present.Add(id);
            if (announced.Contains(id))
            {
                continue;
            }

            // Each upload starts its own trace here (in Azure, Event Grid's delivery starts it).
            using var span = Telemetry.PipelineTelemetry.Source.StartActivity("upload announced", System.Diagnostics.ActivityKind.Producer, parentContext: default);
            var ev = BlobCreatedEvent.For(storage.Options.Uploads, item.Name, container.GetBlobClient(item.Name).Uri, item.Properties.ContentLength ?? 0, version, span?.Id);
            await ingestQueue.SendAsync(ev.ToJson(), cancellationToken).ConfigureAwait(false);
            announced.Add(id);
            sent++;
        }

        // Forget what is gone (processed and deleted) so the checkpoint stays small.
        announced.IntersectWith(present);

        await SaveCheckpointAsync(announced, etag, cancellationToken).ConfigureAwait(false);
        return sent;
    }

    private async Task<(HashSet<string> Announced, ETag? ETag)> LoadCheckpointAsync(CancellationToken ct)
    {
        var blob = storage.Container(storage.Options.Audit).GetBlobClient(CheckpointBlob);
        try
        {
            var content = await blob.DownloadContentAsync(ct).ConfigureAwait(false);
            try
            {
                var ids = JsonSerializer.Deserialize<string[]>(content.Value.Content.ToString()) ?? [];
                return (new HashSet<string>(ids, StringComparer.Ordinal), content.Value.Details.ETag);
            }
            catch (JsonException)
            {
                // Unreadable, or the earlier name → ETag map (which held upload names): announce again and replace it.
                return ([], content.Value.Details.ETag);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return ([], null);
        }
    }

    private async Task SaveCheckpointAsync(HashSet<string> announced, ETag? etag, CancellationToken ct)
    {
        var blob = storage.Container(storage.Options.Audit).GetBlobClient(CheckpointBlob);
        var conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            await blob.UploadAsync(BinaryData.FromString(JsonSerializer.Serialize(announced)), new BlobUploadOptions { Conditions = conditions }, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Another poller saved first; the next poll reconciles (duplicates are harmless).
        }
    }
}
