using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging;

/// <summary>The Image Pixel module attributes that say how to read the pixel data (PS3.3 C.7.6.3).</summary>
public sealed record PixelDataInfo(
    int Rows,
    int Columns,
    int SamplesPerPixel,
    int BitsAllocated,
    int BitsStored,
    int PixelRepresentation,
    int PlanarConfiguration,
    string Photometric,
    int NumberOfFrames,
    DicomTag PixelTag)
{
    public bool IsSigned => PixelRepresentation == 1;

    public bool IsFloat => PixelTag == DicomTag.FloatPixelData || PixelTag == DicomTag.DoubleFloatPixelData;

    /// <summary>Bytes of one native frame (bit-packed for 1-bit data).</summary>
    public long FrameBytes => BitsAllocated == 1
        ? ((long)Rows * Columns * SamplesPerPixel + 7) / 8
        : (long)Rows * Columns * SamplesPerPixel * (BitsAllocated / 8);

    public static PixelDataInfo FromDataset(DicomDataset ds)
    {
        var pixelTag = ds.Contains(DicomTag.PixelData) ? DicomTag.PixelData
            : ds.Contains(DicomTag.FloatPixelData) ? DicomTag.FloatPixelData
            : ds.Contains(DicomTag.DoubleFloatPixelData) ? DicomTag.DoubleFloatPixelData
            : throw new PixelDataException("no-pixel-data", "the instance has no Pixel Data");
        int Required(DicomTag t) => ds.TryGetValue<int>(t, out var v) ? v : throw new PixelDataException("missing-attribute", $"{t.DictionaryEntry.Keyword} {t} is missing");
        var info = new PixelDataInfo(
            Required(DicomTag.Rows),
            Required(DicomTag.Columns),
            ds.GetValueOrDefault(DicomTag.SamplesPerPixel, 1),
            Required(DicomTag.BitsAllocated),
            ds.GetValueOrDefault(DicomTag.BitsStored, ds.GetValueOrDefault(DicomTag.BitsAllocated, 8)),
            ds.GetValueOrDefault(DicomTag.PixelRepresentation, 0),
            ds.GetValueOrDefault(DicomTag.PlanarConfiguration, 0),
            ds.GetSingleValueOrDefault(DicomTag.PhotometricInterpretation, "MONOCHROME2").Trim(),
            FrameCount(ds),
            pixelTag);
        if (info.Rows <= 0 || info.Columns <= 0 || info.SamplesPerPixel is not (1 or 3) || info.BitsAllocated is not (1 or 8 or 16 or 32 or 64))
        {
            throw new PixelDataException("bad-image-attributes", $"unsupported image geometry: {info.Rows}x{info.Columns}, {info.SamplesPerPixel} samples, {info.BitsAllocated} bits allocated");
        }

        return info;
    }

    /// <summary>Number of Frames, 1 when absent or empty; a value that is not a positive integer is an error rather
    /// than a guess, since reading the wrong count silently drops or invents frames.</summary>
    private static int FrameCount(DicomDataset ds)
    {
        if (!ds.Contains(DicomTag.NumberOfFrames))
        {
            return 1;
        }

        var text = ds.GetSingleValueOrDefault(DicomTag.NumberOfFrames, string.Empty).Trim();
        if (text.Length == 0)
        {
            return 1;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new PixelDataException("bad-image-attributes", "Number of Frames (0028,0008) is not a positive integer");
    }
}

/// <summary>Pixel data cannot be decoded; the code is stable for quarantine reasons, the message carries no PHI.</summary>
public sealed class PixelDataException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
