using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ServerlessMed.Imaging.Masking;

namespace ServerlessMed.Imaging.Ocr;

/// <summary>Finds words drawn into an 8-bit image with Tesseract (Debian's libtesseract5 and tesseract-ocr-eng,
/// through its C API) and returns their boxes. What a word says is never turned into a managed string, logged or
/// returned: burned-in text is PHI. Only its length in letters and digits is read, to drop the punctuation-like
/// shapes Tesseract reports in speckle and edges. Thread-safe: each call borrows an engine from a process-wide pool
/// per language (an engine serves one thread at a time and costs a model load to create, so engines are kept for the
/// life of the process, at most one per thread that ever detected at once).</summary>
public sealed class TesseractTextDetector
{
    private static readonly Lazy<bool> Loadable = new(() =>
    {
        Codecs.NativeResolver.Register(typeof(TesseractTextDetector).Assembly);

        // Debian builds Tesseract with OpenMP, whose worker threads spin while waiting: with several engines busy
        // at once on a shared machine one 640x480 frame took 5 s instead of 0.7 s. Tesseract's documentation
        // recommends OMP_THREAD_LIMIT=1 for such use; libgomp reads it once, when it is loaded with libtesseract, so
        // it is set (unless the operator chose a value) before that.
        if (Environment.GetEnvironmentVariable("OMP_THREAD_LIMIT") is null)
        {
            TesseractNative.SetNativeEnvironment("OMP_THREAD_LIMIT", "1", 0);
        }

        if (!NativeLibrary.TryLoad("libtesseract.so.5", out _))
        {
            return false;
        }

        TesseractNative.SetLeptonicaMessageSeverity(TesseractNative.LeptonicaSeverityNone);
        return true;
    });

    private static readonly ConcurrentDictionary<(string Language, string? DataPath), ConcurrentBag<IntPtr>> Pools = new();

    private readonly ConcurrentBag<IntPtr> _idle;
    private readonly TextDetectorOptions _options;

    public TesseractTextDetector(TextDetectorOptions? options = null)
    {
        _options = options ?? new TextDetectorOptions();
        _idle = Pools.GetOrAdd((_options.Language, _options.DataPath), _ => []);
    }

    /// <summary>True when libtesseract.so.5 can be loaded (the language data is checked when the first engine starts).</summary>
    public static bool IsLibraryAvailable => Loadable.Value;

    /// <summary>The library's version, e.g. "5.3.0"; null when it cannot be loaded.</summary>
    public static string? LibraryVersion => IsLibraryAvailable ? Marshal.PtrToStringUTF8(TesseractNative.Version()) : null;

    public TextDetectorOptions Options => _options;

    /// <summary>Boxes (in <paramref name="image"/>'s pixels) of the words Tesseract finds with at least
    /// <see cref="TextDetectorOptions.MinAlphanumerics"/> letters or digits and
    /// <see cref="TextDetectorOptions.MinTextHeight"/> pixels of height whose confidence, separability and surround (see
    /// <see cref="IsText"/>) say text. Small images are enlarged first
    /// (<see cref="TextDetectorOptions.MinShortSide"/>): overlay text on an ultrasound frame is often 7-10 pixels
    /// high, small for Tesseract's layout analysis, and enlarged it also reads fewer words into speckle.</summary>
    public IReadOnlyList<PixelRect> Detect(Image8 image)
    {
        var scale = ScaleFor(image);
        var input = scale > 1 ? Resampler.Resize(image, image.Width * scale, image.Height * scale) : image;
        var engine = Rent();
        try
        {
            TesseractNative.SetImage(engine, input.Pixels, input.Width, input.Height, input.Channels, input.Width * input.Channels);
            TesseractNative.SetSourceResolution(engine, 70 * scale); // a stated resolution keeps Tesseract from warning about 0 dpi
            if (TesseractNative.Recognize(engine, IntPtr.Zero) != 0)
            {
                throw new PixelDataException("ocr-failed", "Tesseract could not recognise the rendered frame");
            }

            return Words(engine, scale, image);
        }
        finally
        {
            TesseractNative.Clear(engine);
            _idle.Add(engine);
        }
    }

    internal int ScaleFor(Image8 image)
    {
        var shortSide = Math.Min(image.Width, image.Height);
        var wanted = shortSide >= _options.MinShortSide ? 1 : (int)Math.Ceiling((double)_options.MinShortSide / shortSide);
        var affordable = (int)Math.Floor(Math.Sqrt((double)_options.MaxScaledPixels / ((long)image.Width * image.Height)));
        return Math.Clamp(Math.Min(wanted, affordable), 1, _options.MaxScale);
    }

    private List<PixelRect> Words(IntPtr engine, int scale, Image8 image)
    {
        var (width, height) = (image.Width, image.Height);
        var boxes = new List<PixelRect>();
        var iterator = TesseractNative.GetIterator(engine);
        if (iterator == IntPtr.Zero)
        {
            return boxes;
        }

        try
        {
            var page = TesseractNative.ResultIteratorGetPageIteratorConst(iterator);
            do
            {
                if (TesseractNative.PageIteratorBoundingBox(page, TesseractNative.LevelWord, out var left, out var top, out var right, out var bottom) == 0)
                {
                    continue;
                }

                if (CountAlphanumerics(iterator) < _options.MinAlphanumerics)
                {
                    continue;
                }

                // Back to the caller's pixels: outwards, so the box still covers the word.
                var x0 = Math.Clamp(left / scale, 0, width);
                var y0 = Math.Clamp(top / scale, 0, height);
                var x1 = Math.Clamp((right + scale - 1) / scale, 0, width);
                var y1 = Math.Clamp((bottom + scale - 1) / scale, 0, height);
                var box = new PixelRect(x0, y0, x1 - x0, y1 - y0);
                if (box.Width > 0 && box.Height >= _options.MinTextHeight && IsText(image, box, TesseractNative.ResultIteratorConfidence(iterator, TesseractNative.LevelWord)))
                {
                    boxes.Add(box);
                }
            }
            while (TesseractNative.ResultIteratorNext(iterator, TesseractNative.LevelWord) != 0);
        }
        finally
        {
            TesseractNative.ResultIteratorDelete(iterator);
        }

        return boxes;
    }

    /// <summary>Confidence, separability and surround together: Tesseract's confidence alone cannot tell text from
    /// speckle (both reach 60-90), nor does it find boxed or inverted overlay text (read at 16-59 with clean pixels).
    /// A word whose pixels are two clean levels counts whatever its confidence; one with a less clean split must also
    /// stand on a background (<see cref="SurroundMixing"/>): Tesseract reads words into grain texture, whose
    /// pixels split about as well as small compressed text but whose surroundings are more of the same grains.</summary>
    private bool IsText(Image8 image, PixelRect box, float confidence)
    {
        var (separability, threshold) = Split(image, box);
        if (separability >= _options.CleanSeparability)
        {
            return true;
        }

        var readable = (confidence >= _options.MinConfidence && separability >= _options.MinSeparability)
            || (confidence >= _options.StrongConfidence && separability >= _options.MinSeparabilityStrong);
        return readable && SurroundMixing(image, box, threshold, _options.SurroundWidth) <= _options.MaxSurroundMixing;
    }

    /// <summary>Otsu's split of the box's values (on the brightest channel) into two levels: the threshold (values
    /// above it are the brighter level) and the separability, how cleanly the pixels split (the between-class
    /// variance over the total, 0-1). Drawn text on a flat background is close to 1; speckle and anatomy that
    /// Tesseract half-reads as words spread their values and score lower. Words from
    /// <see cref="TextDetectorOptions.StrongConfidence"/> pass a lower bar.</summary>
    internal static (double Separability, int Threshold) Split(Image8 image, PixelRect box)
    {
        Span<int> histogram = stackalloc int[256];
        for (var y = box.Y; y < box.Bottom; y++)
        {
            for (var x = box.X; x < box.Right; x++)
            {
                histogram[Brightest(image, x, y)]++;
            }
        }

        double n = box.Width * box.Height, sum = 0, sumSquares = 0;
        for (var v = 0; v < 256; v++)
        {
            sum += (double)v * histogram[v];
            sumSquares += (double)v * v * histogram[v];
        }

        var mean = sum / n;
        var total = (sumSquares / n) - (mean * mean);
        if (total <= 1e-9)
        {
            return (0, 0);
        }

        double weightBelow = 0, sumBelow = 0, best = 0;
        var threshold = 0;
        for (var t = 0; t < 255; t++)
        {
            weightBelow += histogram[t];
            sumBelow += (double)t * histogram[t];
            var weightAbove = n - weightBelow;
            if (weightBelow == 0 || weightAbove == 0)
            {
                continue;
            }

            var meanBelow = sumBelow / weightBelow;
            var meanAbove = (sum - sumBelow) / weightAbove;
            var between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove) / (n * n);
            if (between > best)
            {
                (best, threshold) = (between, t);
            }
        }

        return (best / total, threshold);
    }

    /// <summary>How mixed the frame of <paramref name="width"/> pixels just outside the box is, split at the box's own
    /// threshold: the share of its pixels in the level that is rarer there (0-0.5). Around a word it is background
    /// (one level; the word's neighbours on its line or the lines above and below add a little), whether the text is
    /// light on dark or dark on light; around a word read into speckle it is more grains, both levels. Pixels
    /// outside the image do not count; with none left the surround says nothing against the word (0).</summary>
    internal static double SurroundMixing(Image8 image, PixelRect box, int threshold, int width)
    {
        int above = 0, count = 0;
        var outer = new PixelRect(box.X - width, box.Y - width, box.Width + (2 * width), box.Height + (2 * width));
        for (var y = Math.Max(outer.Y, 0); y < Math.Min(outer.Bottom, image.Height); y++)
        {
            for (var x = Math.Max(outer.X, 0); x < Math.Min(outer.Right, image.Width); x++)
            {
                if (x >= box.X && x < box.Right && y >= box.Y && y < box.Bottom)
                {
                    x = box.Right - 1; // skip the box itself
                    continue;
                }

                count++;
                above += Brightest(image, x, y) > threshold ? 1 : 0;
            }
        }

        return count == 0 ? 0 : (double)Math.Min(above, count - above) / count;
    }

    private static byte Brightest(Image8 image, int x, int y)
    {
        var channels = image.Channels;
        var i = ((y * image.Width) + x) * channels;
        var v = image.Pixels[i];
        for (var c = 1; c < channels; c++)
        {
            v = Math.Max(v, image.Pixels[i + c]);
        }

        return v;
    }

    /// <summary>Letters and digits in the word, counted in the library's own buffer (never copied into a string). A
    /// byte at or above 0x80 that starts a UTF-8 sequence counts as a letter: accented and non-Latin names count.</summary>
    private static unsafe int CountAlphanumerics(IntPtr iterator)
    {
        var text = TesseractNative.ResultIteratorGetUtf8Text(iterator, TesseractNative.LevelWord);
        if (text == IntPtr.Zero)
        {
            return 0;
        }

        try
        {
            var count = 0;
            for (var p = (byte*)text; *p != 0; p++)
            {
                var b = *p;
                if (b is >= (byte)'0' and <= (byte)'9' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' || b >= 0xC0)
                {
                    count++;
                }
            }

            return count;
        }
        finally
        {
            TesseractNative.DeleteText(text);
        }
    }

    private IntPtr Rent()
    {
        if (_idle.TryTake(out var engine))
        {
            return engine;
        }

        if (!IsLibraryAvailable)
        {
            throw new PixelDataException("ocr-unavailable", "burned-in text detection needs Tesseract: install the Debian packages libtesseract5 and tesseract-ocr-eng");
        }

        engine = TesseractNative.Create();
        if (engine == IntPtr.Zero)
        {
            throw new PixelDataException("ocr-unavailable", "Tesseract could not create an engine");
        }

        // Tesseract's diagnostics (which never include recognised text) would otherwise go to stderr, around our logs:
        // set before Init for its messages, and again after, since Init resets parameters.
        TesseractNative.SetVariable(engine, "debug_file", "/dev/null");
        if (TesseractNative.Init2(engine, _options.DataPath, _options.Language, TesseractNative.OemLstmOnly) != 0)
        {
            TesseractNative.Delete(engine);
            throw new PixelDataException("ocr-unavailable", $"Tesseract has no '{_options.Language}' language data{(_options.DataPath is null ? string.Empty : " under the configured data path")}: install the Debian package tesseract-ocr-{_options.Language}");
        }

        TesseractNative.SetVariable(engine, "debug_file", "/dev/null");

        TesseractNative.SetPageSegMode(engine, TesseractNative.PsmSparseText);
        return engine;
    }
}
