using Azure;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Stage;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Search.Tests;

/// <summary>The index stage on Azurite over the embedding layout ingest writes.</summary>
public sealed class IndexStageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<TenantStorage> NewTenantAsync()
    {
        var storage = new TenantStorage(PrefixedStorage.Options(azurite.ConnectionString, "t" + Guid.NewGuid().ToString("N")[..8]));
        await storage.EnsureCreatedAsync(Ct);
        return storage;
    }

    private static SearchIndexStage Stage(TenantStorage storage, SimilaritySearchOptions? options = null, Action<int>? onCheckpoint = null) =>
        new(new SimilarityIndexFactory(storage, options ?? new SimilaritySearchOptions()), NullLogger.Instance) { OnCheckpoint = onCheckpoint };

    [Fact]
    public async Task Builds_instance_series_and_study_vectors_as_means_of_normalised_vectors()
    {
        var storage = await NewTenantAsync();
        var data = new SyntheticEmbeddings(storage);
        await data.AddStudiesAsync(studies: 4, seriesPerStudy: 2, instancesPerSeries: 3, ct: Ct);
        await data.AddAsync(SyntheticEmbeddings.Uid("study", 90), SyntheticEmbeddings.Uid("series", 9000), SyntheticEmbeddings.Uid("sop", 900000), frames: 3, ct: Ct);

        var result = await Stage(storage).UpdateAsync(data.Model, Ct);

        Assert.Equal(IndexRunStatus.Updated, result.Status);
        Assert.Equal(25, result.Added);
        Assert.Equal((25L, 9L, 5L), (result.Instances, result.Series, result.Studies));
        var checkpoint = await SearchIndexStage.ReadCheckpointAsync(storage, data.Model, Ct);
        Assert.NotNull(checkpoint);
        Assert.Equal(result.LastEmbedding, checkpoint.LastEmbedding);
        Assert.EndsWith(".npy", checkpoint.LastEmbedding, StringComparison.Ordinal);

        using var index = await new SimilarityIndexFactory(storage, new SimilaritySearchOptions()).OpenAsync(data.Model, checkpoint, Ct);
        Assert.Equal(25, await index.CountAsync(IndexLevel.Instance, Ct));
        Assert.Equal(5, await index.CountAsync(IndexLevel.Study, Ct));

        // Independent arithmetic: normalise each frame, mean, normalise; then the same over instances.
        static float[] Unit(float[] v)
        {
            var n = MathF.Sqrt(v.Sum(x => x * x));
            return [.. v.Select(x => x / n)];
        }

        static float[] MeanUnit(IEnumerable<float[]> vs)
        {
            var list = vs.Select(Unit).ToList();
            return Unit([.. Enumerable.Range(0, list[0].Length).Select(i => list.Sum(v => v[i]))]);
        }

        var byInstance = data.Written.ToDictionary(w => w.Sop, w => MeanUnit(w.Frames));
        foreach (var study in data.Written.GroupBy(w => w.Study))
        {
            var expected = MeanUnit(study.Select(w => byInstance[w.Sop]));
            var entry = await index.GetAsync(IndexLevel.Study, study.Key, Ct);
            Assert.NotNull(entry);
            Assert.Equal(study.Count(), entry.Instances);
            Assert.True(Vectors.Cosine(expected, entry.Vector) > 0.9999f, $"study {study.Key}");
            foreach (var series in study.GroupBy(w => w.Series))
            {
                var s = await index.GetAsync(IndexLevel.Series, series.Key, Ct);
                Assert.True(Vectors.Cosine(MeanUnit(series.Select(w => byInstance[w.Sop])), s!.Vector) > 0.9999f);
            }
        }

        var multi = await index.GetAsync(IndexLevel.Instance, SyntheticEmbeddings.Uid("sop", 900000), Ct);
        Assert.True(Vectors.Cosine(byInstance[SyntheticEmbeddings.Uid("sop", 900000)], multi!.Vector) > 0.9999f);
    }

    [Fact]
    public async Task A_later_run_takes_in_only_new_embeddings_and_updates_the_studies_they_join()
    {
        var storage = await NewTenantAsync();
        var data = new SyntheticEmbeddings(storage);
        await data.AddStudiesAsync(3, 1, 2, ct: Ct);
        var stage = Stage(storage);
        await stage.UpdateAsync(data.Model, Ct);
        var again = await stage.UpdateAsync(data.Model, Ct);
        Assert.Equal(IndexRunStatus.UpToDate, again.Status);
        Assert.Equal(0, again.EmbeddingsRead);

        var study0 = SyntheticEmbeddings.Uid("study", 0);
        await data.AddAsync(study0, SyntheticEmbeddings.Uid("series", 77), SyntheticEmbeddings.Uid("sop", 777), ct: Ct);
        await data.AddStudiesAsync(1, 1, 1, first: 50, ct: Ct);
        var later = await stage.UpdateAsync(data.Model, Ct);

        Assert.Equal(IndexRunStatus.Updated, later.Status);
        Assert.Equal(2, later.Added);
        Assert.Equal(2, later.EmbeddingsRead);
        Assert.Equal((8L, 5L, 4L), (later.Instances, later.Series, later.Studies));
        var checkpoint = await SearchIndexStage.ReadCheckpointAsync(storage, data.Model, Ct);
        using var index = await new SimilarityIndexFactory(storage, new SimilaritySearchOptions()).OpenAsync(data.Model, checkpoint, Ct);
        Assert.Equal(3, (await index.GetAsync(IndexLevel.Study, study0, Ct))!.Instances);
        Assert.Equal(2, (await index.GetAsync(IndexLevel.Series, SyntheticEmbeddings.Uid("series", 0), Ct))!.Instances);
    }

    [Fact]
    public async Task A_run_that_stops_half_way_continues_from_its_last_checkpoint()
    {
        var storage = await NewTenantAsync();
        var data = new SyntheticEmbeddings(storage);
        await data.AddStudiesAsync(6, 1, 2, ct: Ct);
        var options = new SimilaritySearchOptions { CheckpointEvery = 5 };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var first = Stage(storage, options, onCheckpoint: n => stop.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.UpdateAsync(data.Model, stop.Token));

        var checkpoint = await SearchIndexStage.ReadCheckpointAsync(storage, data.Model, Ct);
        Assert.Equal(5, checkpoint!.Instances);
        var resumed = await Stage(storage, options).UpdateAsync(data.Model, Ct);

        Assert.Equal(7, resumed.EmbeddingsRead); // only what the stopped run had not made durable
        Assert.Equal(12, resumed.Instances);
        Assert.Equal(6, resumed.Studies);
        var names = data.Written.Select(w => StorageLayout.Embedding(data.Model, w.Study, w.Series, EmbeddingFiles.Npy(w.Sop, "embedding"))).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names[^1], resumed.LastEmbedding);
    }

    [Fact]
    public async Task Concurrent_runs_do_not_interleave_and_lose_nothing()
    {
        var storage = await NewTenantAsync();
        var data = new SyntheticEmbeddings(storage);
        await data.AddStudiesAsync(4, 2, 2, ct: Ct);
        var options = new SimilaritySearchOptions { CheckpointEvery = 3 };

        // Writers keep adding while four stage runs start at once.
        var writer = data.AddStudiesAsync(4, 1, 2, first: 20, ct: Ct);
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Stage(storage, options).UpdateAsync(data.Model, Ct), Ct)));
        await writer;
        Assert.Contains(runs, r => r.Status == IndexRunStatus.Updated);
        Assert.All(runs, r => Assert.True(r.Status is IndexRunStatus.Updated or IndexRunStatus.Busy or IndexRunStatus.UpToDate));

        var final = await Stage(storage, options).UpdateAsync(data.Model, Ct);
        var total = data.Written.Count;
        Assert.Equal(total, final.Instances);
        var checkpoint = await SearchIndexStage.ReadCheckpointAsync(storage, data.Model, Ct);
        var held = checkpoint!.Held.Values.SelectMany(s => s.Values).SelectMany(l => l).ToList();
        Assert.Equal(total, held.Count);
        Assert.Equal(total, held.Distinct(StringComparer.Ordinal).Count());
        using var index = await new SimilarityIndexFactory(storage, options).OpenAsync(data.Model, checkpoint, Ct);
        Assert.Equal(total, await index.CountAsync(IndexLevel.Instance, Ct));
        Assert.Equal(8, await index.CountAsync(IndexLevel.Study, Ct));
        foreach (var w in data.Written)
        {
            Assert.NotNull(await index.GetAsync(IndexLevel.Instance, w.Sop, Ct));
        }
    }

    [Fact]
    public async Task A_run_finds_the_lease_taken_and_leaves_the_index_alone()
    {
        var storage = await NewTenantAsync();
        var data = new SyntheticEmbeddings(storage);
        await data.AddStudiesAsync(2, 1, 1, ct: Ct);
        var blob = storage.Container(storage.Options.Embeddings).GetBlobClient(SearchIndexLayout.Checkpoint(data.Model));
        await blob.UploadAsync(BinaryData.Empty, Ct);
        var other = blob.GetBlobLeaseClient();
        await other.AcquireAsync(TimeSpan.FromSeconds(30), cancellationToken: Ct);

        var busy = await Stage(storage).UpdateAsync(data.Model, Ct);

        Assert.Equal(IndexRunStatus.Busy, busy.Status);
        Assert.Null(await SearchIndexStage.ReadCheckpointAsync(storage, data.Model, Ct));
        await other.ReleaseAsync(cancellationToken: Ct);
        Assert.Equal(IndexRunStatus.Updated, (await Stage(storage).UpdateAsync(data.Model, Ct)).Status);
    }

    [Fact]
    public async Task A_run_whose_lease_was_taken_over_cannot_write_its_checkpoint()
    {
        var storage = await NewTenantAsync();
        var data = new SyntheticEmbeddings(storage);
        await data.AddStudiesAsync(4, 1, 1, ct: Ct);
        var blob = storage.Container(storage.Options.Embeddings).GetBlobClient(SearchIndexLayout.Checkpoint(data.Model));
        string? intruderCheckpoint = null;
        var stage = Stage(storage, new SimilaritySearchOptions { CheckpointEvery = 2 }, onCheckpoint: _ =>
        {
            if (intruderCheckpoint is not null)
            {
                return;
            }

            // Another run breaks the lease (as after an expiry), takes it and writes its own checkpoint.
            blob.GetBlobLeaseClient().Break(TimeSpan.Zero, cancellationToken: Ct);
            var intruder = blob.GetBlobLeaseClient();
            intruder.Acquire(TimeSpan.FromSeconds(15), cancellationToken: Ct);
            intruderCheckpoint = blob.DownloadContent(Ct).Value.Content.ToString();
            blob.Upload(BinaryData.FromString(intruderCheckpoint), new Azure.Storage.Blobs.Models.BlobUploadOptions { Conditions = new Azure.Storage.Blobs.Models.BlobRequestConditions { LeaseId = intruder.LeaseId } }, Ct);
        });

        var e = await Assert.ThrowsAnyAsync<Exception>(() => stage.UpdateAsync(data.Model, Ct));
        Assert.True(e is RequestFailedException { Status: 412 or 409 } or OperationCanceledException, e.ToString());
        Assert.Equal(intruderCheckpoint, (await blob.DownloadContentAsync(Ct)).Value.Content.ToString());
    }
}
