using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace ServerlessMed.Workflow.Outcomes;

/// <summary>Why an input was quarantined: the one enumeration of the CLI and the pipeline. The wire names (kebab-case,
/// in records, metrics and logs) are stable; the exceptions that carry codes as strings (DICOM reader, de-identifier,
/// pixel decoders, zip expansion) are mapped here by <see cref="QuarantineCodes.Of"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QuarantineCode>))]
public enum QuarantineCode
{
    // The DICOM reader.
    [JsonStringEnumMemberName("truncated")] Truncated,
    [JsonStringEnumMemberName("limit-exceeded")] LimitExceeded,
    [JsonStringEnumMemberName("not-dicom-or-malformed")] NotDicomOrMalformed,
    [JsonStringEnumMemberName("bad-value")] BadValue,
    [JsonStringEnumMemberName("dicom-error")] DicomError,

    // Input and output.
    [JsonStringEnumMemberName("io-error")] IoError,
    [JsonStringEnumMemberName("output-io-error")] OutputIoError,

    // The de-identifier's refusals (DeidRejectedException).
    [JsonStringEnumMemberName("missing-uid")] MissingUid,
    [JsonStringEnumMemberName("burned-in-annotation")] BurnedInAnnotation,
    [JsonStringEnumMemberName("burned-in-text")] BurnedInText,
    [JsonStringEnumMemberName("burned-in-unlocated")] BurnedInUnlocated,
    [JsonStringEnumMemberName("ocr-unavailable")] OcrUnavailable,

    /// <summary>The burned-in text check could not decode the image ("burned-in-" and a pixel code; the message
    /// names which).</summary>
    [JsonStringEnumMemberName("burned-in-unreadable")] BurnedInUnreadable,

    // Zip expansion (ZipRejectedException).
    [JsonStringEnumMemberName("zip-too-many-entries")] ZipTooManyEntries,
    [JsonStringEnumMemberName("zip-entry-too-large")] ZipEntryTooLarge,
    [JsonStringEnumMemberName("zip-bomb")] ZipBomb,
    [JsonStringEnumMemberName("zip-too-large")] ZipTooLarge,
    [JsonStringEnumMemberName("zip-unreadable")] ZipUnreadable,

    // Pixel data (PixelDataException).
    [JsonStringEnumMemberName("bad-deflate")] BadDeflate,
    [JsonStringEnumMemberName("bad-frame")] BadFrame,
    [JsonStringEnumMemberName("bad-image-attributes")] BadImageAttributes,
    [JsonStringEnumMemberName("bad-jpeg")] BadJpeg,
    [JsonStringEnumMemberName("bad-jpeg-ls")] BadJpegLs,
    [JsonStringEnumMemberName("bad-jpeg2000")] BadJpeg2000,
    [JsonStringEnumMemberName("bad-palette")] BadPalette,
    [JsonStringEnumMemberName("bad-rle")] BadRle,
    [JsonStringEnumMemberName("codec-error")] CodecError,
    [JsonStringEnumMemberName("codec-missing")] CodecMissing,
    [JsonStringEnumMemberName("frame-not-located")] FrameNotLocated,
    [JsonStringEnumMemberName("missing-attribute")] MissingAttribute,
    [JsonStringEnumMemberName("no-pixel-data")] NoPixelData,
    [JsonStringEnumMemberName("ocr-failed")] OcrFailed,
    [JsonStringEnumMemberName("short-pixel-data")] ShortPixelData,
    [JsonStringEnumMemberName("unsupported-mask")] UnsupportedMask,
    [JsonStringEnumMemberName("unsupported-photometric")] UnsupportedPhotometric,
    [JsonStringEnumMemberName("unsupported-transfer-syntax")] UnsupportedTransferSyntax,
}

/// <summary>Where in the workflow an input was quarantined.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QuarantineStage>))]
public enum QuarantineStage
{
    [JsonStringEnumMemberName("expand")] Expand,
    [JsonStringEnumMemberName("deid")] Deid,
    [JsonStringEnumMemberName("encode")] Encode,
}

public static class QuarantineCodes
{
    private static readonly FrozenDictionary<QuarantineCode, string> Names = WireNames<QuarantineCode>();
    private static readonly FrozenDictionary<string, QuarantineCode> ByName = Names.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    private static readonly FrozenDictionary<QuarantineStage, string> StageNames = WireNames<QuarantineStage>();

    /// <summary>The stable kebab-case name ("not-dicom-or-malformed").</summary>
    public static string WireName(this QuarantineCode code) => Names[code];

    public static string WireName(this QuarantineStage stage) => StageNames[stage];

    /// <summary>The code of a wire name; false for a name this enumeration does not have.</summary>
    public static bool TryParse(string name, out QuarantineCode code) => ByName.TryGetValue(name, out code);

    /// <summary>The code of a failure the workflow quarantines for.</summary>
    public static QuarantineCode Of(Exception e) => e switch
    {
        Deid.DeidRejectedException r => Parse(r.Code),
        Files.Archives.ZipRejectedException z => Parse(z.Code),
        Imaging.PixelDataException p => Parse(p.Code),
        Local.DeidOutputException => QuarantineCode.OutputIoError,
        Dicom.DicomTruncatedException => QuarantineCode.Truncated,
        Dicom.DicomLimitExceededException => QuarantineCode.LimitExceeded,
        Dicom.DicomFormatException => QuarantineCode.NotDicomOrMalformed,
        Dicom.DicomValueException => QuarantineCode.BadValue,
        InvalidDataException => QuarantineCode.ZipUnreadable,
        IOException or UnauthorizedAccessException => QuarantineCode.IoError,
        _ => QuarantineCode.DicomError,
    };

    /// <summary>A code string from an exception. The burned-in check prefixes the pixel decoder's code
    /// ("burned-in-bad-jpeg"): those are one code here, the message says which decoder failed.</summary>
    private static QuarantineCode Parse(string code) =>
        TryParse(code, out var c) ? c
        : code.StartsWith("burned-in-", StringComparison.Ordinal) ? QuarantineCode.BurnedInUnreadable
        : QuarantineCode.DicomError;

    private static FrozenDictionary<T, string> WireNames<T>()
        where T : struct, Enum =>
        typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToFrozenDictionary(f => (T)f.GetValue(null)!, f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()!.Name);
}
