namespace ServerlessMed.Imaging.Ocr;

/// <summary>How <see cref="TesseractTextDetector"/> decides what is a word.</summary>
public sealed class TextDetectorOptions
{
    /// <summary>Tesseract's word confidence (0-100) from which a word with <see cref="MinSeparability"/> counts.</summary>
    public float MinConfidence { get; init; } = 60;

    /// <summary>Separability from which a word counts whatever its confidence: overlay text in a box, inverted or in
    /// an unusual font is often read badly (confidence 16-59 measured) but its pixels are two clean levels
    /// (0.96-1.00), which speckle and anatomy did not reach (at most 0.94) in the corpus and the test images.</summary>
    public double CleanSeparability { get; init; } = 0.95;

    /// <summary>Confidence from which a word needs only <see cref="MinSeparabilityStrong"/>.</summary>
    public float StrongConfidence { get; init; } = 90;

    /// <summary>How cleanly a word's box must split into text and background (0-1; see
    /// <see cref="TesseractTextDetector.Separability"/>). Measured on the corpus: overlay text 0.79-1.00 (the low end
    /// small JPEG-compressed text on a 320x240 cine), words Tesseract reads into speckle and anatomy 0.55-0.86.</summary>
    public double MinSeparability { get; init; } = 0.82;

    /// <summary>The bar for words read with <see cref="StrongConfidence"/>: anatomy read as a confident word
    /// measured 0.66.</summary>
    public double MinSeparabilityStrong { get; init; } = 0.72;

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

    /// <summary>Enlargement stops short of this many pixels: OCR time grows with the pixel count (and steeply with
    /// speckle), and 640x480 doubled (1.2 million) is the size that mattered for reading overlay text.</summary>
    public int MaxScaledPixels { get; init; } = 2_000_000;

    /// <summary>Tesseract language (a traineddata name, e.g. "eng" or "eng+fra").</summary>
    public string Language { get; init; } = "eng";

    /// <summary>Folder with the traineddata files; null for the library's default (or $TESSDATA_PREFIX).</summary>
    public string? DataPath { get; init; }
}
