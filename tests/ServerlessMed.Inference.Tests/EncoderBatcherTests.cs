using ServerlessMed.Dicom;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Testing;

namespace ServerlessMed.Inference.Tests;

/// <summary>Cross-instance batching and the pooled pinned buffers: results are what one-frame runs give, bit for bit,
/// whoever shares a run; concurrent callers never see each other's buffers; batches really form.</summary>
public sealed class EncoderBatcherTests
{
    private static readonly OnnxSessionFactory Factory = new(new OnnxSessionOptions());

    private static List<float[]> Frames(ImageEncoder encoder, int count)
    {
        var file = DicomFile.Open(Corpus.Get("pydicom-data/emri_small.dcm").FullPath);
        return [.. Enumerable.Range(0, count).Select(f => encoder.Preprocess(file.Dataset, file.TransferSyntax, f % 10))];
    }

    [Fact]
    public async Task Concurrent_instances_share_runs_and_each_gets_its_own_bit_identical_result()
    {
        using var encoder = new ImageEncoder(Path.Combine(TestModels.Folder, "encoders", "cxr-like"), Factory);
        var frames = Frames(encoder, 10);
        var expected = frames.Select(f => encoder.EncodeAll([f])).ToList(); // [frame][output][item 0]
        await using var batcher = new EncoderBatcher(encoder, new EncoderBatchingOptions { MaxBatchSize = 4, Window = TimeSpan.FromMilliseconds(50) });

        // Ten "instances" of one to three frames each, submitted at once.
        var jobs = Enumerable.Range(0, 10).Select(i => (Start: i, Count: 1 + (i % 3))).ToList();
        var results = await Task.WhenAll(jobs.Select(j => batcher.EncodeAsync([.. Enumerable.Range(j.Start, j.Count).Select(k => frames[k % 10])])));

        for (var j = 0; j < jobs.Count; j++)
        {
            for (var k = 0; k < jobs[j].Count; k++)
            {
                var frame = (jobs[j].Start + k) % 10;
                for (var o = 0; o < 2; o++)
                {
                    Assert.True(expected[frame][o][0].AsSpan().SequenceEqual(results[j][k][o]), $"job {j} frame {frame} output {o} differs from its one-frame run");
                }
            }
        }

        var (runs, carried) = batcher.Counts;
        var total = jobs.Sum(j => j.Count);
        Assert.Equal(total, carried);
        Assert.True(runs < total, $"{runs} runs for {total} frames: nothing was batched");
        Assert.True(runs >= (total + 3) / 4, $"{runs} runs for {total} frames exceed the batch size of 4");
    }

    [Fact]
    public async Task A_cancelled_caller_leaves_the_others_alone()
    {
        using var encoder = new ImageEncoder(TestModels.Encoder, Factory);
        var frames = Frames(encoder, 3);
        await using var batcher = new EncoderBatcher(encoder, new EncoderBatchingOptions { MaxBatchSize = 8, Window = TimeSpan.FromMilliseconds(100) });
        using var cancelled = new CancellationTokenSource();
        var doomed = batcher.EncodeAsync([frames[0]], cancelled.Token);
        var kept = batcher.EncodeAsync([frames[1], frames[2]]);
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        var result = await kept;
        Assert.Equal(encoder.EncodeAll([frames[2]])[0][0], result[1][0]);
    }

    [Fact]
    public async Task A_caller_whose_sink_throws_fails_alone()
    {
        using var encoder = new ImageEncoder(TestModels.Encoder, Factory);
        var frames = Frames(encoder, 2);
        await using var batcher = new EncoderBatcher(encoder, new EncoderBatchingOptions { MaxBatchSize = 8, Window = TimeSpan.FromMilliseconds(100) });
        var bad = batcher.EncodeAsync([frames[0]], (_, _, _) => throw new InvalidOperationException("sink broke"));
        var good = batcher.EncodeAsync([frames[1]]);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal("sink broke", e.Message);
        Assert.Equal(encoder.EncodeAll([frames[1]])[0][0], (await good)[0][0]);
        Assert.Equal((1L, 2L), batcher.Counts); // one shared run
    }

    [Fact]
    public void Parallel_runs_over_pooled_buffers_do_not_see_each_others_data()
    {
        using var encoder = new ImageEncoder(Path.Combine(TestModels.Folder, "encoders", "path-like"), Factory);
        var file = DicomFile.Open(Corpus.Get("pydicom/SC_rgb_small_odd.dcm").FullPath);
        var a = encoder.Preprocess(file.Dataset, file.TransferSyntax);
        var b = a.Select(v => -v).ToArray();
        var expectedA = encoder.EncodeAll([a, a])[0];
        var expectedB = encoder.EncodeAll([b, b])[0];
        Assert.False(expectedA[0].SequenceEqual(expectedB[0]));

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var input = i % 2 == 0 ? a : b;
            var got = encoder.EncodeAll([input, input])[0];
            var want = i % 2 == 0 ? expectedA : expectedB;
            Assert.True(want[0].AsSpan().SequenceEqual(got[0]) && want[1].AsSpan().SequenceEqual(got[1]), $"run {i} got another run's output");
        });

        // Returned arrays are the caller's: changing one does not change the next result.
        var first = encoder.EncodeAll([a, a])[0][0];
        first[0] = float.NaN;
        Assert.False(float.IsNaN(encoder.EncodeAll([a, a])[0][0][0]));
    }

    [Fact]
    public void Options_out_of_range_are_refused_naming_the_option()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderBatchingOptions { MaxBatchSize = 0 }.Validate());
        Assert.Contains("MaxBatchSize", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderBatchingOptions { Window = TimeSpan.FromSeconds(5) }.Validate());
        Assert.Contains("Window", e.Message, StringComparison.Ordinal);
    }
}
