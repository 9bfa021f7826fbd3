namespace ServerlessMed.Imaging.Codecs;

/// <summary>What a JPEG stream says about its colour space, read as IJG libjpeg reads it (jdmarker.c): an APP0 is JFIF
/// only with its 14 bytes of data ("JFIF\0" first), an APP14 is Adobe only with its 12 ("Adobe" first, the transform
/// last); shorter segments say nothing. And what DICOM makes of it (PS3.5 8.2.1): the stored values are in the colour
/// space the Photometric Interpretation names. YBR_FULL and YBR_FULL_422 frames come back as YCbCr, upsampled by
/// the decoder and not converted (as DCMTK's <c>dcmdjpeg +cn</c> and the native YBR path give them; YBR_FULL_422
/// becomes YBR_FULL); RGB frames are R, G, B unless a valid JFIF or complete Adobe marker says the stream is YCbCr;
/// other colour photometrics keep libjpeg's own guess and conversion to RGB.</summary>
internal static class JpegColorSpace
{
    private const int JfifDataLength = 14;
    private const int AdobeDataLength = 12;

    /// <summary>The colour markers before the first scan. <paramref name="AdobeTransform"/> is -1 without a complete Adobe marker.</summary>
    internal readonly record struct Markers(bool Jfif, int AdobeTransform, IReadOnlyList<int> Offsets)
    {
        /// <summary>The stream itself says its three components are YCbCr (what libjpeg would then convert).</summary>
        public bool SayYCbCr => Jfif || AdobeTransform > 0;

        public bool SayAnything => Jfif || AdobeTransform >= 0;
    }

    /// <summary>Reads the header segments up to the first SOS (where libjpeg stops reading them). <see cref="Markers.Offsets"/>
    /// are the positions of the segments that count (valid JFIF APP0, complete Adobe APP14).</summary>
    public static Markers Read(ReadOnlySpan<byte> jpeg)
    {
        var jfif = false;
        var adobe = -1;
        var offsets = new List<int>();
        if (jpeg.Length < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            return new Markers(false, -1, offsets);
        }

        var i = 2;
        while (i + 3 < jpeg.Length && jpeg[i] == 0xFF)
        {
            var marker = jpeg[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                i += 2; // no length
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                break;
            }

            var length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            var data = jpeg.Slice(i + 4, Math.Max(0, Math.Min(length - 2, jpeg.Length - i - 4)));
            if (marker == 0xE0 && data.Length >= JfifDataLength && data.StartsWith("JFIF\0"u8))
            {
                jfif = true;
                offsets.Add(i);
            }
            else if (marker == 0xEE && data.Length >= AdobeDataLength && data.StartsWith("Adobe"u8))
            {
                adobe = data[11]; // the last complete Adobe marker wins, as in libjpeg
                offsets.Add(i);
            }

            i += 2 + length;
        }

        return new Markers(jfif, adobe, offsets);
    }

    /// <summary>YBR_FULL and YBR_FULL_422: the decoder returns the components as stored (upsampled).</summary>
    public static bool KeepsComponents(PixelDataInfo info) => info.SamplesPerPixel == 3 && info.Photometric is "YBR_FULL" or "YBR_FULL_422";

    /// <summary>The photometric interpretation of what the decoders return when it is not the dataset's.</summary>
    public static string? DecodedPhotometric(PixelDataInfo info) => info.SamplesPerPixel != 3 ? null : info.Photometric switch
    {
        "YBR_FULL" => null,
        "YBR_FULL_422" => "YBR_FULL", // upsampled: full resolution YCbCr
        _ => "RGB",
    };

    /// <summary>Whether a decoder converts YCbCr to RGB: never for YBR_FULL(_422); for RGB only when the stream says it
    /// is YCbCr; otherwise as libjpeg guesses (<paramref name="libjpegGuess"/>).</summary>
    public static bool ConvertsToRgb(PixelDataInfo info, Markers markers, bool libjpegGuess) => info.SamplesPerPixel == 3 && info.Photometric switch
    {
        "YBR_FULL" or "YBR_FULL_422" => false,
        "RGB" => markers.SayYCbCr,
        _ => libjpegGuess,
    };
}
