using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Benchmarks;

/// <summary>Azurite's ceiling for the pipeline's workload, replayed in the shape the run had: the same uploads
/// (as many in flight, the run's size), an announcer that puts one ingest message per upload after it lands, one
/// after another (the local event source's sends), and a pump that receives the ingest messages in the run's batch
/// size and, for each one, makes the stage's requests with no de-identification or encoding between them: read the
/// upload, the pipeline's writes (the run's average size, conditional like the stage's), the messages the run left
/// waiting (the generation requests), delete the upload, delete the message. So the emulator holds the uploads not
/// yet handled and the outputs as they grow, as in the run, which is what its requests cost: Azurite keeps blobs and
/// messages in LokiJS collections whose deletes and queue scans cost in proportion to what they hold (its CPU profile
/// under this bench: deleteBlob, clearExpiredMessages and deleteMessage are most of its time). Its ingest queue holds
/// less than the run's (a peak of about 150 messages against about 900: the announcer, one send at a time among the
/// pump's requests, keeps only a little ahead of the pump, where the event source announces a whole listing while the
/// stage waits), which makes its queue requests cheaper: a higher ceiling than a replay with the run's queue depth.</summary>
internal static class WorkflowReplay
{
    /// <summary>What a replay measured; <paramref name="PeakBacklog"/>: the most ingest messages sent and not yet received.</summary>
    public sealed record Result(double InstancesPerSecond, long Requests, TimeSpan Elapsed, long PeakBacklog);

    /// <summary>Replays the workflow for <see cref="StorageCeiling.Mix.Instances"/> instances; returns instances/s,
    /// the requests it made (counted by the same policy as the run), the time and the deepest ingest backlog.</summary>
    public static async Task<Result> MeasureAsync(string connectionString, StorageCeiling.Mix mix, int uploadConcurrency, int workConcurrency, int round)
    {
        var counter = new RequestCounter();
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = connectionString, BlobPolicies = [counter.BlobPolicy], QueuePolicies = [counter.QueuePolicy] });
        var uploads = storage.Container($"replay{round}-uploads");
        var outputs = storage.Container($"replay{round}-outputs");
        var ingest = storage.Queue($"replay{round}-ingest");
        var waiting = storage.Queue($"replay{round}-waiting");
        await Task.WhenAll(uploads.CreateIfNotExistsAsync(), outputs.CreateIfNotExistsAsync(), ingest.CreateIfNotExistsAsync(), waiting.CreateIfNotExistsAsync());
        counter.Reset();

        var n = mix.Instances;
        var upload = BinaryData.FromBytes(new byte[mix.UploadBytes]);
        var output = BinaryData.FromBytes(new byte[mix.PipelinePutBytes]);
        // A queue message's body is XML around base64 text: size the text so the body is the run's average.
        var filler = new string('x', Math.Max(1, (mix.AverageBytes(StorageRequestKind.QueuePut) - 110) * 3 / 4));
        var batch = mix.Count(StorageRequestKind.QueueGet) == 0 ? 1
            : (int)Math.Clamp(Math.Ceiling((double)mix.Count(StorageRequestKind.QueueDelete) / mix.Count(StorageRequestKind.QueueGet)), 1, 32);
        var announced = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true });
        var done = 0;
        long sent = 0;
        var peakBacklog = 0L;

        var sw = Stopwatch.StartNew();
        var uploader = Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = uploadConcurrency }, async (i, ct) =>
        {
            await uploads.GetBlobClient(Name(i)).UploadAsync(upload, ct);
            await announced.Writer.WriteAsync(i, ct);
        }).ContinueWith(t => announced.Writer.Complete(t.Exception), TaskScheduler.Default);

        // One announcer, its sends one after another, as the event source's poll makes them.
        var announcer = Task.Run(async () =>
        {
            await foreach (var i in announced.Reader.ReadAllAsync())
            {
                await ingest.SendMessageAsync(i.ToString(CultureInfo.InvariantCulture) + " " + filler);
                Interlocked.Increment(ref sent);
            }
        });

        // The pump, as the run's QueueProcessor: a batch received when a batch's worth of slots is free, each message
        // handled in a slot of its own. (A prefetching pump, a batch always waiting ahead of the workers, with the
        // announcements sent 8 at a time, was tried: its ingest queue held what the run's did, ~880 messages at the
        // peak, and it cost Azurite more CPU per instance than the pipeline itself, 27-39 ms against 26-33; in 8 of
        // 13 rounds it served fewer instances/s than the pipeline: no ceiling.)
        using var slots = new SemaphoreSlim(workConcurrency, workConcurrency);
        var running = new List<Task>();
        var taken = 0;
        while (taken < n)
        {
            var want = Math.Min(Math.Min(batch, workConcurrency), n - taken);
            for (var k = 0; k < want; k++)
            {
                await slots.WaitAsync();
            }

            QueueMessage[] received = (await ingest.ReceiveMessagesAsync(want, TimeSpan.FromMinutes(5))).Value;
            peakBacklog = Math.Max(peakBacklog, Interlocked.Read(ref sent) - taken);
            if (want > received.Length)
            {
                slots.Release(want - received.Length);
            }

            taken += received.Length;
            if (received.Length == 0)
            {
                await Task.Delay(20);
                continue;
            }

            foreach (var m in received)
            {
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var i = int.Parse(m.MessageText.AsSpan(0, m.MessageText.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
                        await HandleAsync(i, m, mix, uploads, outputs, ingest, waiting, output, filler);
                        Interlocked.Increment(ref done);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }));
            }

            running.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(running);
        var elapsed = sw.Elapsed;
        if (done != n)
        {
            throw new InvalidOperationException($"workflow replay handled {done} of {n} instances");
        }

        await uploader;
        await announcer;
        return new Result(n / elapsed.TotalSeconds, counter.Total, elapsed, peakBacklog);
    }

    private static string Name(int i) => $"load/{i:D5}.dcm";

    /// <summary>One instance's requests as the stage and its pump make them (the kinds' shares beyond the stage's own
    /// six, such as the event source's checkpoint reads, spread over the instances as the flat replay does).</summary>
    private static async Task HandleAsync(int i, QueueMessage message, StorageCeiling.Mix mix, Azure.Storage.Blobs.BlobContainerClient uploads, Azure.Storage.Blobs.BlobContainerClient outputs, Azure.Storage.Queues.QueueClient ingest, Azure.Storage.Queues.QueueClient waiting, BinaryData output, string filler)
    {
        var source = uploads.GetBlobClient(Name(i));
        for (var k = mix.For(StorageRequestKind.BlobGet, i); k > 0; k--)
        {
            await source.DownloadContentAsync();
        }

        for (var k = mix.For(StorageRequestKind.BlobHead, i); k > 0; k--)
        {
            await source.GetPropertiesAsync();
        }

        for (var k = mix.For(StorageRequestKind.BlobList, i); k > 0; k--)
        {
            await using var pages = uploads.GetBlobsAsync(new GetBlobsOptions()).AsPages(pageSizeHint: 5000).GetAsyncEnumerator();
            await pages.MoveNextAsync();
        }

        for (var k = mix.For(StorageRequestKind.BlobOther, i); k > 0; k--)
        {
            await outputs.GetPropertiesAsync();
        }

        // The run's blob writes less the upload itself.
        for (var k = mix.For(StorageRequestKind.BlobPut, i) - mix.ForUploads(StorageRequestKind.BlobPut, i); k > 0; k--)
        {
            await outputs.GetBlobClient($"{i:D5}/{k}").UploadAsync(output, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } });
        }

        // The run's queue puts less the announcement: messages for a stage the run did not run (generation).
        for (var k = mix.For(StorageRequestKind.QueuePut, i) - 1; k > 0; k--)
        {
            await waiting.SendMessageAsync(filler);
        }

        for (var k = mix.For(StorageRequestKind.QueueUpdate, i); k > 0; k--)
        {
            await ingest.GetPropertiesAsync();
        }

        for (var k = mix.For(StorageRequestKind.BlobDelete, i); k > 0; k--)
        {
            await source.DeleteIfExistsAsync();
        }

        for (var k = mix.For(StorageRequestKind.QueueOther, i); k > 0; k--)
        {
            await ingest.GetPropertiesAsync();
        }

        await ingest.DeleteMessageAsync(message.MessageId, message.PopReceipt);
    }
}
