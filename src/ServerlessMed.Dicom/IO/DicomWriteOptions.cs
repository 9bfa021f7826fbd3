namespace ServerlessMed.Dicom.IO;

/// <summary>How datasets are written.</summary>
public sealed class DicomWriteOptions
{
    public static DicomWriteOptions Default { get; } = new();

    /// <summary>Sequences and items with defined lengths (DCMTK's default) or with delimiters (undefined length).</summary>
    public bool ExplicitLengthSequences { get; init; } = true;

    /// <summary>Group length elements (gggg,0000) are recomputed where present; set false to drop them (they are retired).</summary>
    public bool KeepGroupLengths { get; init; } = true;

    /// <summary>Deflate level for the Deflated Explicit VR Little Endian syntax.</summary>
    public System.IO.Compression.CompressionLevel DeflateLevel { get; init; } = System.IO.Compression.CompressionLevel.Optimal;
}
