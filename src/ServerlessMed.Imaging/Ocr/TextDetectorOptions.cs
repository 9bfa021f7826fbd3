namespace ServerlessMed.Imaging.Ocr;

/// <summary>How <see cref="TesseractTextDetector"/> decides what is a word.</summary>
public sealed class TextDetectorOptions
{
    /// <summary>Tesseract's word confidence (0-100) below which a word is ignored.</summary>
    public float MinConfidence { get; init; } = 60;

    /// <summary>Confidence from which a word counts whatever its pixels look like.</summary>
    public float StrongConfidence { get; init; } = 90;

    /// <summary>Below <see cref="StrongConfidence"/>, how cleanly the word's box must split into text and background
    /// (0-1; see <see cref="TesseractTextDetector.Separability"/>).</summary>
    public double MinSeparability { get; init; } = 0.82;

    /// <summary>Letters and digits a word needs: single characters (orientation markers, scale ticks read as "1") are
    /// not identifiers, and speckle is often read as one.</summary>
    public int MinAlphanumerics { get; init; } = 2;

    /// <summary>Height in the image's pixels below which a word is ignored: Tesseract reads 2-5 pixel specks of
    /// noise as words, while the smallest overlay fonts measured (a 320x240 ultrasound) are about 7 pixels high.</summary>
    public int MinTextHeight { get; init; } = 6;

    /// <summary>Images whose shorter side is below this many pixels are enlarged by a whole factor first.</summary>
    public int MinShortSide { get; init; } = 720;

    /// <summary>The largest enlargement factor.</summary>
    public int MaxScale { get; init; } = 4;

    /// <summary>Tesseract language (a traineddata name, e.g. "eng" or "eng+fra").</summary>
    public string Language { get; init; } = "eng";

    /// <summary>Folder with the traineddata files; null for the library's default (or $TESSDATA_PREFIX).</summary>
    public string? DataPath { get; init; }
}
