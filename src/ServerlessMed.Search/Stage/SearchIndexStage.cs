using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search.Index;

namespace ServerlessMed.Search.Stage;

/// <summary>How one index run ended.</summary>
public enum IndexRunStatus
{
    /// <summary>New embeddings were taken in.</summary>
    Updated,

    /// <summary>The index already held every embedding.</summary>
    UpToDate,

    /// <summary>Another run holds the index's lease; this one did nothing (the other takes in what is there).</summary>
    Busy,
}

public sealed record IndexRunResult(string Model, IndexRunStatus Status, int Added, int EmbeddingsRead, long Instances, long Series, long Studies, string? LastEmbedding);

/// <summary>The stage that runs after ingest and builds or extends a model's similarity index: per instance (mean of
/// its frames), per series and per study (means of their instances' normalised vectors). One writer at a time: the
/// run holds a blob lease on the checkpoint, renewed while it works, and writes the checkpoint only under that lease,
/// so two runs at once cannot interleave their updates or lose one's entries (the second finds the lease taken and
/// stops; a run whose lease was lost cannot commit). Every <see cref="SimilaritySearchOptions.CheckpointEvery"/>
/// embeddings the index is saved under a new generation and the checkpoint names it with the last embedding taken in:
/// a run that stops (crash, cancellation) continues from there next time.</summary>
public sealed class SearchIndexStage(SimilarityIndexFactory factory, ILogger logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private readonly TenantStorage _storage = factory.Storage;
    private readonly SimilaritySearchOptions _options = factory.Options;
    private readonly EmbeddingReader _reader = new(factory.Storage);

    /// <summary>Called after each checkpoint with the number of embeddings taken in so far in this run.</summary>
    public Action<int>? OnCheckpoint { get; init; }

    /// <summary>Updates the index of every model the tenant has embeddings of.</summary>
    public async Task<IReadOnlyList<IndexRunResult>> RunAsync(CancellationToken cancellationToken = default)
    {
        var results = new List<IndexRunResult>();
        foreach (var model in await _reader.ModelsAsync(cancellationToken).ConfigureAwait(false))
        {
            results.Add(await UpdateAsync(model, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>The checkpoint of a model's index, or null when it has none yet.</summary>
    public static async Task<IndexCheckpoint?> ReadCheckpointAsync(TenantStorage storage, string model, CancellationToken cancellationToken = default)
    {
        try
        {
            var content = (await CheckpointBlob(storage, model).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
            return content.ToMemory().Length == 0 ? null : JsonSerializer.Deserialize<IndexCheckpoint>(content.ToString(), Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<IndexRunResult> UpdateAsync(string model, CancellationToken cancellationToken = default)
    {
        var blob = CheckpointBlob(_storage, model);
        try
        {
            // An empty blob to hold the lease on before the first checkpoint exists.
            await blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // It exists (possibly leased by another run).
        }

        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(_options.Lease, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            logger.LogInformation("index of {Model}: another run holds the lease; leaving it to that run", model);
            var held = await ReadCheckpointAsync(_storage, model, cancellationToken).ConfigureAwait(false);
            return new IndexRunResult(model, IndexRunStatus.Busy, 0, 0, held?.Instances ?? 0, held?.Series ?? 0, held?.Studies ?? 0, held?.LastEmbedding);
        }

        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewAsync(lease, work);
        try
        {
            return await UpdateUnderLeaseAsync(model, blob, lease.LeaseId, work.Token).ConfigureAwait(false);
        }
        finally
        {
            await work.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            try
            {
                await lease.ReleaseAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (RequestFailedException)
            {
                // Lost or broken already: it expires by itself.
            }
        }
    }

    private async Task<IndexRunResult> UpdateUnderLeaseAsync(string model, BlobClient blob, string leaseId, CancellationToken ct)
    {
        var checkpoint = await ReadCheckpointAsync(_storage, model, ct).ConfigureAwait(false);
        using var index = await factory.OpenAsync(model, checkpoint, ct).ConfigureAwait(false);
        var held = checkpoint?.Held ?? new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        var heldSops = held.Values.SelectMany(s => s.Values).SelectMany(l => l).ToHashSet(StringComparer.Ordinal);
        var pending = new List<EmbeddingRef>();
        await foreach (var e in _reader.ListAsync(model, cancellationToken: ct).ConfigureAwait(false))
        {
            if (!heldSops.Contains(e.SopUid))
            {
                pending.Add(e);
            }
        }

        if (pending.Count == 0)
        {
            return new IndexRunResult(model, IndexRunStatus.UpToDate, 0, 0, checkpoint?.Instances ?? 0, checkpoint?.Series ?? 0, checkpoint?.Studies ?? 0, checkpoint?.LastEmbedding);
        }

        var generation = checkpoint?.Generation;
        var dimensions = checkpoint?.Dimensions ?? 0;
        var added = 0;
        var read = 0;
        string? last = checkpoint?.LastEmbedding;
        foreach (var batch in pending.Chunk(_options.CheckpointEvery))
        {
            var instances = new IndexEntry[batch.Length];
            await Parallel.ForEachAsync(Enumerable.Range(0, batch.Length), new ParallelOptions { MaxDegreeOfParallelism = _options.ReadConcurrency, CancellationToken = ct }, async (i, t) =>
            {
                instances[i] = await InstanceEntryAsync(batch[i], t).ConfigureAwait(false);
            }).ConfigureAwait(false);
            read += batch.Length;
            dimensions = dimensions == 0 ? instances[0].Vector.Length : dimensions;
            await index.UpsertAsync(instances, ct).ConfigureAwait(false);
            foreach (var e in batch)
            {
                var series = held.TryGetValue(e.StudyUid, out var s) ? s : held[e.StudyUid] = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                (series.TryGetValue(e.SeriesUid, out var sops) ? sops : series[e.SeriesUid] = []).Add(e.SopUid);
            }

            // Series and studies that gained instances get their means again, over all their instances.
            var groups = new List<IndexEntry>();
            foreach (var study in batch.Select(e => e.StudyUid).Distinct(StringComparer.Ordinal))
            {
                groups.AddRange(await GroupEntriesAsync(index, study, held[study], batch, dimensions, ct).ConfigureAwait(false));
            }

            await index.UpsertAsync(groups, ct).ConfigureAwait(false);
            added += batch.Length;
            last = batch[^1].Name;

            // Durable first, then named by the checkpoint, then the old generation goes.
            var next = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
            await index.SaveAsync(next, ct).ConfigureAwait(false);
            var seriesCount = held.Values.Sum(s => s.Count);
            checkpoint = new IndexCheckpoint(IndexCheckpoint.CurrentVersion, model, index.Backend, dimensions, next, last, heldSops.Count + added, seriesCount, held.Count, DateTimeOffset.UtcNow, held);
            await blob.UploadAsync(BinaryData.FromObjectAsJson(checkpoint, Json), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { LeaseId = leaseId },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, ct).ConfigureAwait(false);
            if (generation is not null)
            {
                await index.ForgetAsync(generation, ct).ConfigureAwait(false);
            }

            generation = next;
            logger.LogInformation("index of {Model}: {Added} embedding(s) taken in, checkpoint at {Last}", model, added, last);
            OnCheckpoint?.Invoke(added);
        }

        return new IndexRunResult(model, IndexRunStatus.Updated, added, read, checkpoint!.Instances, checkpoint.Series, checkpoint.Studies, last);
    }

    private async Task<IndexEntry> InstanceEntryAsync(EmbeddingRef e, CancellationToken ct)
    {
        var stored = await _reader.ReadAsync(e, ct).ConfigureAwait(false);
        var frames = Enumerable.Range(0, stored.Frames).Select(f => stored.Frame(f).ToArray());
        var vector = Vectors.MeanOfNormalised(frames, stored.Dimensions);
        var header = await DeidHeaders.ReadAsync(_storage, e.StudyUid, e.SeriesUid, e.SopUid, ct).ConfigureAwait(false);
        return new IndexEntry(IndexLevel.Instance, e.SopUid, e.StudyUid, e.SeriesUid,
            header.GetSingleValueOrDefault(DicomTag.Modality, string.Empty), header.GetSingleValueOrDefault(DicomTag.BodyPartExamined, string.Empty), 1, vector);
    }

    private static async Task<IEnumerable<IndexEntry>> GroupEntriesAsync(ISimilarityIndex index, string study, Dictionary<string, List<string>> seriesOfStudy, EmbeddingRef[] batch, int dimensions, CancellationToken ct)
    {
        var result = new List<IndexEntry>();
        var all = new List<IndexEntry>();
        var changed = batch.Where(b => b.StudyUid == study).Select(b => b.SeriesUid).ToHashSet(StringComparer.Ordinal);
        foreach (var (series, sops) in seriesOfStudy)
        {
            var members = new List<IndexEntry>(sops.Count);
            foreach (var sop in sops)
            {
                members.Add(await index.GetAsync(IndexLevel.Instance, sop, ct).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"index: instance {sop} of study {study} is in the checkpoint but not in the index"));
            }

            all.AddRange(members);
            if (changed.Contains(series))
            {
                result.Add(Group(IndexLevel.Series, series, study, series, members, dimensions));
            }
        }

        result.Add(Group(IndexLevel.Study, study, study, null, all, dimensions));
        return result;
    }

    private static IndexEntry Group(IndexLevel level, string uid, string study, string? series, List<IndexEntry> members, int dimensions) => new(
        level, uid, study, series,
        string.Join('/', members.Select(m => m.Modality).Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)),
        members.Select(m => m.BodyPart).Where(b => b.Length > 0).GroupBy(b => b, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault() ?? string.Empty,
        members.Count,
        Vectors.MeanOfNormalised(members.Select(m => m.Vector), dimensions));

    private async Task RenewAsync(BlobLeaseClient lease, CancellationTokenSource work)
    {
        var every = _options.Lease / 3;
        while (!work.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, work.Token).ConfigureAwait(false);
                await lease.RenewAsync(cancellationToken: work.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                // The lease is gone (broken, or taken after it expired): stop, and let the commit fail rather than
                // write over another run's checkpoint.
                logger.LogWarning("index lease lost ({Status}); stopping this run", e.Status);
                await work.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    private static BlobClient CheckpointBlob(TenantStorage storage, string model) =>
        storage.Container(storage.Options.Embeddings).GetBlobClient(SearchIndexLayout.Checkpoint(model));
}
