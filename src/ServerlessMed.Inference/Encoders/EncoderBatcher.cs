using System.Diagnostics;
using System.Threading.Channels;

namespace ServerlessMed.Inference.Encoders;

/// <summary>Batches preprocessed frames across instances: callers (concurrent ingest handlers, each with one
/// instance's frames) queue their inputs and await their outputs; one loop takes what is queued, waits up to the
/// window for a full batch, and runs the session once for all of it. Results do not depend on how frames were
/// grouped (the encoder is batch-invariant, tested bit for bit).</summary>
public sealed class EncoderBatcher : IAsyncDisposable
{
    private readonly ImageEncoder _encoder;
    private readonly EncoderBatchingOptions _options;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _runs;
    private long _frames;

    public EncoderBatcher(ImageEncoder encoder, EncoderBatchingOptions? options = null)
    {
        _encoder = encoder;
        _options = options ?? new EncoderBatchingOptions();
        _options.Validate();
        _loop = Task.Run(RunAsync);
    }

    public ImageEncoder Encoder => _encoder;

    /// <summary>Session runs so far and frames they carried (mean batch size = frames / runs).</summary>
    public (long Runs, long Frames) Counts => (Interlocked.Read(ref _runs), Interlocked.Read(ref _frames));

    /// <summary>Encodes one instance's frames; returns, per frame, each model output's values (model.json order).</summary>
    public async Task<float[][][]> EncodeAsync(IReadOnlyList<float[]> frames, CancellationToken cancellationToken = default)
    {
        var results = new float[frames.Count][][];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = new float[_encoder.Manifest.Outputs.Count][];
        }

        await EncodeAsync(frames, (frame, output, values) => results[frame][output] = values.ToArray(), cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Encodes one instance's frames, handing each frame's (index in <paramref name="frames"/>) output values to
    /// <paramref name="sink"/> on the batching loop while the run's buffers are held; completes when all were handed.</summary>
    public async Task EncodeAsync(IReadOnlyList<float[]> frames, EmbeddingSink sink, CancellationToken cancellationToken = default)
    {
        var pending = new Pending[frames.Count];
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i].Length != _encoder.InputLength)
            {
                throw new ArgumentException($"frame {i} has {frames[i].Length} values, the model takes {_encoder.InputLength}");
            }

            pending[i] = new Pending(frames[i], i, sink, cancellationToken);
            if (!_queue.Writer.TryWrite(pending[i]))
            {
                throw new ObjectDisposedException(nameof(EncoderBatcher));
            }
        }

        foreach (var p in pending)
        {
            await p.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var deadline = Stopwatch.GetTimestamp() + (long)(_options.Window.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    if (!next.CancellationToken.IsCancellationRequested)
                    {
                        batch.Add(next);
                    }
                    else
                    {
                        next.Result.TrySetCanceled(next.CancellationToken);
                    }

                    continue;
                }

                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (batch.Count == 0 || remaining <= TimeSpan.Zero || !await WaitForMoreAsync(reader, remaining).ConfigureAwait(false))
                {
                    break;
                }
            }

            if (batch.Count > 0)
            {
                Run(batch);
            }
        }
    }

    private static async Task<bool> WaitForMoreAsync(ChannelReader<Pending> reader, TimeSpan remaining)
    {
        using var timeout = new CancellationTokenSource(remaining);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Run(List<Pending> batch)
    {
        try
        {
            // A caller's sink that throws fails that caller only, not the others sharing the run.
            var failures = new Exception?[batch.Count];
            _encoder.EncodeInto([.. batch.Select(p => p.Input)], (item, output, values) =>
            {
                if (failures[item] is not null)
                {
                    return;
                }

                try
                {
                    batch[item].Sink(batch[item].Index, output, values);
                }
                catch (Exception e)
                {
                    failures[item] = e;
                }
            });
            Interlocked.Increment(ref _runs);
            Interlocked.Add(ref _frames, batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (failures[i] is { } failure)
                {
                    batch[i].Result.TrySetException(failure);
                }
                else
                {
                    batch[i].Result.TrySetResult();
                }
            }
        }
        catch (Exception e)
        {
            // A failed run fails every frame in it; callers quarantine or retry their own instance.
            foreach (var p in batch)
            {
                p.Result.TrySetException(e);
            }
        }
    }

    private sealed class Pending(float[] input, int index, EmbeddingSink sink, CancellationToken cancellationToken)
    {
        public float[] Input { get; } = input;

        public int Index { get; } = index;

        public EmbeddingSink Sink { get; } = sink;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
