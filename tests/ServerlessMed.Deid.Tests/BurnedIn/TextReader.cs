using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests.BurnedIn;

/// <summary>Reads text back out of a frame with the tesseract command (Debian tesseract-ocr), independently of the
/// de-identifier's own OCR: the frame is rendered, enlarged twice (small overlay text reads better) and written as a
/// PNG that is deleted afterwards.</summary>
public static class TextReader
{
    public static string Read(DicomFile file, int frame)
    {
        var image = BurnedInImages.Render(file, frame);
        var enlarged = Resampler.Resize(image, image.Width * 2, image.Height * 2);
        var png = Path.Combine(Path.GetTempPath(), $"smed-ocr-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(png, PngWriter.Encode(enlarged));
        try
        {
            var r = ExternalTool.Run("tesseract", [png, "stdout", "--psm", "11"]);
            Assert.True(r.ExitCode == 0, "tesseract failed: " + r.StdErr);
            return r.StdOut;
        }
        finally
        {
            File.Delete(png);
        }
    }

    /// <summary>The planted words <paramref name="text"/> contains (letters and digits compared, case ignored).</summary>
    public static List<string> Found(string text, IEnumerable<string> words)
    {
        var squeezed = Squeeze(text);
        return [.. words.Where(w => squeezed.Contains(Squeeze(w), StringComparison.Ordinal))];
    }

    private static string Squeeze(string s) => new([.. s.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant)]);
}
