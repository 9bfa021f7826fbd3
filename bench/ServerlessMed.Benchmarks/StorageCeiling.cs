using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs.Models;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Benchmarks;

/// <summary>Azurite's own ceiling for a request mix: the counted requests of a pipeline run, replayed by a plain
/// request loop (same clients, same concurrency, the same number of each kind per instance with the kind's average
/// payload size, no de-identification or encoding), as fast as Azurite serves them. What the pipeline reaches of
/// this is the ratio the round-trip work aims at.</summary>
internal static class StorageCeiling
{
    private const int Seeds = 64;

    /// <summary>Per-kind totals of a run over <paramref name="instances"/> instances.</summary>
    public sealed record Mix(IReadOnlyDictionary<StorageRequestKind, (long Count, long Bytes)> Kinds, IReadOnlyDictionary<StorageRequestKind, (long Count, long Bytes)> Uploads, int Instances)
    {
        /// <summary>The pipeline's requests and the uploads' (kept apart too: the workflow replay makes them first).</summary>
        public static Mix Of(int instances, RequestCounter pipeline, RequestCounter uploads) => new(
            Enum.GetValues<StorageRequestKind>().ToDictionary(k => k, k => (pipeline.Count(k) + uploads.Count(k), pipeline.Bytes(k) + uploads.Bytes(k))),
            Enum.GetValues<StorageRequestKind>().ToDictionary(k => k, k => (uploads.Count(k), uploads.Bytes(k))),
            instances);

        public int UploadBytes => Uploads[StorageRequestKind.BlobPut].Count == 0 ? 1 : (int)Math.Max(1, Uploads[StorageRequestKind.BlobPut].Bytes / Uploads[StorageRequestKind.BlobPut].Count);

        /// <summary>Average size of the pipeline's own writes (uploads left out).</summary>
        public int PipelinePutBytes
        {
            get
            {
                var (count, bytes) = (Kinds[StorageRequestKind.BlobPut].Count - Uploads[StorageRequestKind.BlobPut].Count, Kinds[StorageRequestKind.BlobPut].Bytes - Uploads[StorageRequestKind.BlobPut].Bytes);
                return count <= 0 ? 1 : (int)Math.Max(1, bytes / count);
            }
        }

        public long Count(StorageRequestKind kind) => Kinds[kind].Count;

        public int AverageBytes(StorageRequestKind kind) => Kinds[kind].Count == 0 ? 0 : (int)(Kinds[kind].Bytes / Kinds[kind].Count);

        /// <summary>How many of a kind instance i makes: the kind's total spread evenly over the instances, so
        /// fractional kinds (listings, empty receives) come out right over the run.</summary>
        public int For(StorageRequestKind kind, int i) => Share(Count(kind), i);

        /// <summary>As <see cref="For"/>, the uploads' requests alone.</summary>
        public int ForUploads(StorageRequestKind kind, int i) => Share(Uploads[kind].Count, i);

        private int Share(long total, int i) => (int)((total * (i + 1) / Instances) - (total * i / Instances));
    }

    /// <summary>The flat replay: each instance's share of every kind, in a loop, with nothing waiting in the emulator
    /// beyond what the loop itself leaves (no backlog of uploads or ingest messages). Returns instances/s and the
    /// requests made.</summary>
    /// <param name="round">Names this replay's blobs and queues apart from an earlier one's.</param>
    public static async Task<(double InstancesPerSecond, long Requests, TimeSpan Elapsed)> MeasureFlatAsync(TenantStorage storage, Mix mix, int concurrency, int round)
    {
        var container = storage.Container($"ceiling{round}");
        await container.CreateIfNotExistsAsync();
        var queue = storage.Queue($"ceiling{round}");
        await queue.CreateIfNotExistsAsync();
        // Messages the run put but did not take back (for a stage it did not run: the generation requests) wait in a
        // queue of their own, as they did in the run, so the receives do not search past them.
        var waiting = storage.Queue($"ceiling{round}-waiting");
        await waiting.CreateIfNotExistsAsync();
        var consumedShare = mix.Count(StorageRequestKind.QueuePut) == 0 ? 1.0 : Math.Min(1.0, (double)mix.Count(StorageRequestKind.QueueDelete) / mix.Count(StorageRequestKind.QueuePut));
        long puts = 0;

        // Blobs to read: the average size of a read in the run.
        var readSize = Math.Max(1, mix.AverageBytes(StorageRequestKind.BlobGet));
        var seed = BinaryData.FromBytes(new byte[readSize]);
        await Parallel.ForEachAsync(Enumerable.Range(0, Seeds), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            await container.GetBlobClient($"seed/{i:D3}").UploadAsync(seed, overwrite: true, ct));

        var putPayload = BinaryData.FromBytes(new byte[Math.Max(1, mix.AverageBytes(StorageRequestKind.BlobPut))]);
        // A queue message's body is XML around base64 text: size the text so the body is the run's average.
        var messageText = new string('x', Math.Max(1, (mix.AverageBytes(StorageRequestKind.QueuePut) - 90) * 3 / 4));
        var perReceive = mix.Count(StorageRequestKind.QueueGet) == 0 ? 1
            : (int)Math.Clamp(Math.Ceiling((double)mix.Count(StorageRequestKind.QueueDelete) / mix.Count(StorageRequestKind.QueueGet)), 1, 32);
        var received = new ConcurrentQueue<(string Id, string Receipt)>();
        long requests = 0;

        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, mix.Instances), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var written = new List<string>();
            var seedBlob = container.GetBlobClient($"seed/{i % Seeds:D3}");
            for (var n = mix.For(StorageRequestKind.BlobGet, i); n > 0; n--)
            {
                await seedBlob.DownloadContentAsync(ct);
            }

            for (var n = mix.For(StorageRequestKind.BlobHead, i); n > 0; n--)
            {
                await seedBlob.GetPropertiesAsync(cancellationToken: ct);
            }

            for (var n = mix.For(StorageRequestKind.BlobList, i); n > 0; n--)
            {
                await using var pages = container.GetBlobsAsync(new GetBlobsOptions { Prefix = "seed/" }, ct).AsPages().GetAsyncEnumerator(ct);
                await pages.MoveNextAsync();
            }

            for (var n = mix.For(StorageRequestKind.BlobOther, i); n > 0; n--)
            {
                await container.GetPropertiesAsync(cancellationToken: ct);
            }

            for (var n = mix.For(StorageRequestKind.BlobPut, i); n > 0; n--)
            {
                var name = $"put/{i}/{n}";
                await container.GetBlobClient(name).UploadAsync(putPayload, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
                written.Add(name);
            }

            for (var n = mix.For(StorageRequestKind.QueuePut, i); n > 0; n--)
            {
                var p = Interlocked.Increment(ref puts);
                var consumed = Math.Floor(p * consumedShare) > Math.Floor((p - 1) * consumedShare);
                await (consumed ? queue : waiting).SendMessageAsync(messageText, ct);
            }

            for (var n = mix.For(StorageRequestKind.QueueGet, i); n > 0; n--)
            {
                foreach (var m in (await queue.ReceiveMessagesAsync(perReceive, TimeSpan.FromMinutes(5), ct)).Value)
                {
                    received.Enqueue((m.MessageId, m.PopReceipt));
                }
            }

            for (var n = mix.For(StorageRequestKind.QueueUpdate, i); n > 0; n--)
            {
                if (received.TryDequeue(out var m))
                {
                    var r = await queue.UpdateMessageAsync(m.Id, m.Receipt, visibilityTimeout: TimeSpan.FromMinutes(5), cancellationToken: ct);
                    received.Enqueue((m.Id, r.Value.PopReceipt));
                }
                else
                {
                    await queue.GetPropertiesAsync(ct);
                }
            }

            for (var n = mix.For(StorageRequestKind.QueueDelete, i); n > 0; n--)
            {
                if (received.TryDequeue(out var m))
                {
                    await queue.DeleteMessageAsync(m.Id, m.Receipt, ct);
                }
                else
                {
                    // Nothing received to delete (receives ran ahead elsewhere): still one delete request served.
                    await IgnoreNotFoundAsync(queue.DeleteMessageAsync("00000000-0000-0000-0000-000000000000", "AAAAAA==", ct));
                }
            }

            for (var n = mix.For(StorageRequestKind.BlobDelete, i); n > 0; n--)
            {
                var name = written.Count > 0 ? written[^1] : $"absent/{i}/{n}";
                if (written.Count > 0)
                {
                    written.RemoveAt(written.Count - 1);
                }

                await container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: ct);
            }

            for (var n = mix.For(StorageRequestKind.QueueOther, i); n > 0; n--)
            {
                await queue.GetPropertiesAsync(ct);
            }

            Interlocked.Add(ref requests, Enum.GetValues<StorageRequestKind>().Sum(k => mix.For(k, i)));
        });
        var elapsed = sw.Elapsed;
        return (mix.Instances / elapsed.TotalSeconds, requests, elapsed);
    }

    private static async Task IgnoreNotFoundAsync(Task<Response> request)
    {
        try
        {
            await request;
        }
        catch (RequestFailedException e) when (e.Status is 400 or 404)
        {
        }
    }
}
