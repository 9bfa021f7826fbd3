namespace ServerlessMed.Inference.Encoders;

/// <summary>How <see cref="EncoderBatcher"/> groups frames from concurrent callers into one session run.</summary>
public sealed class EncoderBatchingOptions
{
    /// <summary>Frames per session run at most (8 suits CPU and small GPUs; raise on large GPUs).</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>How long the first frame of a batch waits for others before the batch runs anyway. Zero batches only
    /// what is already queued; a few milliseconds fill batches under load at that much added latency.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(4);

    public void Validate()
    {
        if (MaxBatchSize is < 1 or > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "MaxBatchSize must be 1 to 1024");
        }

        if (Window < TimeSpan.Zero || Window > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "Window must be 0 to 1 s");
        }
    }
}
