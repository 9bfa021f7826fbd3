using ServerlessMed.Imaging.Masking;
using ServerlessMed.Imaging.Ocr;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>The surround test that keeps words Tesseract reads into speckle from being masked: a word drawn on a
/// background (light on dark or dark on light) has a one-level surround; a box in grain texture is surrounded by more
/// grains. Boxes are where the detector found them (bench/burned-in-ocr.sh's speckle; a line of strokes drawn here).</summary>
public sealed class TextSurroundTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_word_on_a_background_has_a_one_level_surround(bool inverted)
    {
        var (image, box) = Strokes(inverted);
        var (separability, threshold) = TesseractTextDetector.Split(image, box);
        Assert.True(separability > 0.9, $"separability {separability}");
        Assert.Equal(0, TesseractTextDetector.SurroundMixing(image, box, threshold, 2));
    }

    [Theory]
    [InlineData(640, 480, 3, 459, 270, 13, 6)]
    [InlineData(640, 480, 1, 378, 388, 11, 11)]
    [InlineData(800, 600, 3, 198, 444, 9, 8)]
    public void A_word_read_into_speckle_is_surrounded_by_both_levels(int columns, int rows, int spp, int x, int y, int width, int height)
    {
        var file = SpeckleImages.Build(columns, rows, spp, 8);
        var image = Renderer.Render(file.Dataset, FrameDecoder.Decode(file.Dataset, file.TransferSyntax, 0));
        var box = new PixelRect(x, y, width, height);
        var (separability, threshold) = TesseractTextDetector.Split(image, box);
        Assert.True(separability >= new TextDetectorOptions().MinSeparability, $"separability {separability}: no longer a box the separability bars let through");
        Assert.True(TesseractTextDetector.SurroundMixing(image, box, threshold, 2) > new TextDetectorOptions().MaxSurroundMixing);
    }

    /// <summary>Vertical strokes 2 pixels wide, 3 apart, in a 40x12 box on a flat 200x60 image.</summary>
    private static (Image8 Image, PixelRect Box) Strokes(bool inverted)
    {
        const int w = 200, h = 60;
        var box = new PixelRect(80, 24, 40, 12);
        var pixels = new byte[w * h];
        for (var p = 0; p < pixels.Length; p++)
        {
            int x = p % w, y = p / w;
            var ink = x >= box.X && x < box.Right && y >= box.Y && y < box.Bottom && (x - box.X) % 5 < 2;
            pixels[p] = (byte)(ink ^ inverted ? 240 : 10);
        }

        return (new Image8(w, h, 1, pixels), box);
    }
}
