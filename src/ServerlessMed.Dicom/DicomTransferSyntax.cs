namespace ServerlessMed.Dicom;

/// <summary>A transfer syntax (PS3.5 section 10): how a dataset is encoded. Known syntaxes are singletons.</summary>
public sealed class DicomTransferSyntax
{
    private static readonly Dictionary<string, DicomTransferSyntax> Known = new(StringComparer.Ordinal);

    private DicomTransferSyntax(string uid, string name, bool explicitVr, bool bigEndian, bool deflated, bool encapsulated, bool lossy = false, bool retired = false)
    {
        Uid = uid;
        Name = name;
        IsExplicitVR = explicitVr;
        IsBigEndian = bigEndian;
        IsDeflated = deflated;
        IsEncapsulated = encapsulated;
        IsLossy = lossy;
        IsRetired = retired;
        Known[uid] = this;
    }

    public string Uid { get; }

    public string Name { get; }

    public bool IsExplicitVR { get; }

    public bool IsBigEndian { get; }

    /// <summary>The whole dataset after the file meta is deflate-compressed (not the pixel data alone).</summary>
    public bool IsDeflated { get; }

    /// <summary>Pixel data is a sequence of fragments (compressed frames).</summary>
    public bool IsEncapsulated { get; }

    public bool IsLossy { get; }

    public bool IsRetired { get; }

    /// <summary>Explicit or implicit little endian, big endian or deflated: pixel data is stored natively.</summary>
    public bool IsNative => !IsEncapsulated;

    public static readonly DicomTransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, false);
    public static readonly DicomTransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, false);
    public static readonly DicomTransferSyntax EncapsulatedUncompressedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian", true, false, false, true);
    public static readonly DicomTransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, false);
    public static readonly DicomTransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, false, retired: true);
    public static readonly DicomTransferSyntax JPEGBaseline = new("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax JPEGExtended = new("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax JPEGLosslessP14 = new("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false, false, true);
    public static readonly DicomTransferSyntax JPEGLosslessSV1 = new("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", true, false, false, true);
    public static readonly DicomTransferSyntax JPEGLSLossless = new("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", true, false, false, true);
    public static readonly DicomTransferSyntax JPEGLSNearLossless = new("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax JPEG2000Lossless = new("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", true, false, false, true);
    public static readonly DicomTransferSyntax JPEG2000 = new("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax JPEG2000Part2Lossless = new("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", true, false, false, true);
    public static readonly DicomTransferSyntax JPEG2000Part2 = new("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax HTJ2KLossless = new("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)", true, false, false, true);
    public static readonly DicomTransferSyntax HTJ2KLosslessRPCL = new("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", true, false, false, true);
    public static readonly DicomTransferSyntax HTJ2K = new("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax RLELossless = new("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, true);
    public static readonly DicomTransferSyntax DeflatedImageFrameCompression = new("1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression", true, false, false, true);
    public static readonly DicomTransferSyntax MPEG2MainProfile = new("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax MPEG4AVCH264HighProfile = new("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", true, false, false, true, lossy: true);
    public static readonly DicomTransferSyntax HEVCMainProfile = new("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1", true, false, false, true, lossy: true);

    public static IReadOnlyCollection<DicomTransferSyntax> All => Known.Values;

    public static bool TryLookup(string uid, out DicomTransferSyntax syntax) =>
        Known.TryGetValue(uid.TrimEnd('\0', ' '), out syntax!);

    /// <summary>The syntax for a UID. An unknown UID is treated as an encapsulated explicit VR LE syntax
    /// (PS3.5 A.4: every syntax not listed as native is explicit VR little endian with encapsulated pixels).</summary>
    public static DicomTransferSyntax Parse(string uid)
    {
        var clean = uid.TrimEnd('\0', ' ');
        if (Known.TryGetValue(clean, out var ts))
        {
            return ts;
        }

        if (!DicomUID.IsValid(clean))
        {
            throw new DicomFormatException($"'{clean}' is not a valid transfer syntax UID");
        }

        return new DicomTransferSyntax(clean, "Unknown transfer syntax " + clean, true, false, false, true);
    }

    public override string ToString() => Name;
}
