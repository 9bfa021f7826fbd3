namespace ServerlessMed.Imaging.Ocr;

/// <summary>How <see cref="TesseractTextDetector"/> decides what is a word.</summary>
public sealed class TextDetectorOptions
{
    /// <summary>Tesseract's word confidence (0-100) from which a word with <see cref="MinSeparability"/> counts.</summary>
    public float MinConfidence { get; init; } = 60;

    /// <summary>Separability from which a word counts whatever its confidence: overlay text in a box, inverted or in
    /// an unusual font is often read badly (confidence 16-59 measured) but its pixels are two clean levels
    /// (0.96-1.00), which speckle and anatomy did not reach (at most 0.94; 0.93 in the bench's speckle) in the corpus
    /// and the test images. Such a word needs no <see cref="MaxSurroundMixing"/>: overlay text drawn over the image
    /// is clean inside its box while its surroundings are anatomy.</summary>
    public double CleanSeparability { get; init; } = 0.95;

    /// <summary>Confidence from which a word needs only <see cref="MinSeparabilityStrong"/>.</summary>
    public float StrongConfidence { get; init; } = 90;

    /// <summary>How cleanly a word's box must split into text and background (0-1; see
    /// <see cref="TesseractTextDetector.Split"/>). Measured on the corpus: overlay text 0.79-1.00 (the low end
    /// small JPEG-compressed text on a 320x240 cine), words Tesseract reads into speckle and anatomy 0.55-0.86.</summary>
    public double MinSeparability { get; init; } = 0.82;

    /// <summary>The bar for words read with <see cref="StrongConfidence"/>: anatomy read as a confident word
    /// measured 0.66.</summary>
    public double MinSeparabilityStrong { get; init; } = 0.72;

    /// <summary>How mixed the pixels just outside a word's box may be (0-0.5; see
    /// <see cref="TesseractTextDetector.SurroundMixing"/>) for a word below <see cref="CleanSeparability"/> to count.
    /// Measured with a <see cref="SurroundWidth"/> of 2 on the words that reach the separability bars below 0.95:
    /// overlay text 0.00-0.11 (the tests' planted text, separability 0.88-0.95: 0.00; the small JPEG-compressed
    /// text of a 320x240 cine: 0.00-0.11); words Tesseract reads into the grain texture of text-free speckle (the
    /// bench's cone, bench/burned-in-ocr.sh; separability 0.82-0.93, confidence 62-81) 0.29-0.45, and into colour
    /// Doppler in a corpus image 0.41. Clean overlay words, which skip this test, measure up to 0.21 (words or
    /// lines close by).</summary>
    public double MaxSurroundMixing { get; init; } = 0.2;

    /// <summary>Width in the image's pixels of the frame around a word's box that <see cref="MaxSurroundMixing"/>
    /// looks at: a few pixels, as lines of overlay text can be close (2-7 pixels apart measured, the closest lines
    /// showing in the frame as the higher clean-word figures), yet wide enough to hold whole speckle grains (3x2
    /// pixels in the bench and the tests).</summary>
    public int SurroundWidth { get; init; } = 2;

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
