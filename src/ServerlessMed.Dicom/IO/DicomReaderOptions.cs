namespace ServerlessMed.Dicom.IO;

/// <summary>Reader limits and behaviour. Defaults are safe for untrusted input.</summary>
public sealed class DicomReaderOptions
{
    public static DicomReaderOptions Default { get; } = new();

    /// <summary>Values longer than this are not loaded: they stay a reference to the source (seekable sources only).</summary>
    public int LargeValueThreshold { get; init; } = 64 * 1024;

    /// <summary>Deepest sequence nesting accepted before the input is rejected (guards against stack exhaustion).</summary>
    public int MaxSequenceDepth { get; init; } = 64;

    /// <summary>Largest single value accepted, whatever the stream length (guards against bogus length fields).</summary>
    public long MaxValueLength { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Stop when this tag (or a greater one) is reached at the top level, e.g. PixelData for a header-only parse.</summary>
    public DicomTag? StopAtTag { get; init; }

    /// <summary>Name of the source in error messages (a file name; never content).</summary>
    public string? SourceName { get; init; }
}
