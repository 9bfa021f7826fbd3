namespace ServerlessMed.Files.Archives;

/// <summary>Limits on zip expansion; a zip beyond them is quarantined whole, not expanded (zip bombs).</summary>
public sealed record ZipLimits
{
    public int MaxEntries { get; init; } = 100_000;

    public long MaxEntryBytes { get; init; } = 8L << 30;

    public long MaxTotalBytes { get; init; } = 64L << 30;

    /// <summary>Largest uncompressed/compressed ratio of an entry; real DICOM deflates ~2-10×, bombs 1000×.</summary>
    public double MaxCompressionRatio { get; init; } = 200;
}
