using System.Diagnostics;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Imaging.Codecs;
using ServerlessMed.Imaging.Masking;
using ServerlessMed.Imaging.Ocr;

namespace ServerlessMed.Deid.BurnedIn;

/// <summary>The de-identifier's burned-in text step (PS3.15 E.3.1, Clean Pixel Data): on the instances the policy puts
/// in scope, finds text drawn into the pixels (OCR on the rendered frames, plus the policy's fixed regions), then
/// either fills each box in the stored values of every frame and re-encodes losslessly, or quarantines the instance.
/// An instance out of scope, or in scope without text, keeps its pixel data untouched (not even re-encoded).
/// Thread-safe: one instance serves the de-identifier's whole process.</summary>
internal sealed class BurnedInTextMasker
{
    private const string CleanPixelDataCode = "113101";

    private readonly BurnedInPolicy _policy;
    private readonly HashSet<string> _modalities;
    private readonly HashSet<string> _sopClasses;
    private readonly TesseractTextDetector _detector;

    public BurnedInTextMasker(BurnedInPolicy policy)
    {
        _policy = policy;
        _modalities = new HashSet<string>(policy.Modalities, StringComparer.Ordinal);
        _sopClasses = new HashSet<string>(policy.SopClasses, StringComparer.Ordinal);
        _detector = new TesseractTextDetector(new TextDetectorOptions { MinConfidence = policy.MinConfidence, Language = policy.Language });
    }

    /// <summary>Looks for burned-in text in <paramref name="input"/> and masks it in <paramref name="output"/> (the
    /// de-identified file, whose pixel data still refers to the input's). Null when the instance is out of scope.</summary>
    /// <exception cref="DeidRejectedException">The policy quarantines burned-in text, or text is declared but cannot be
    /// located, or the pixels cannot be read or rewritten: the instance goes to quarantine, never out unchecked.</exception>
    public BurnedInReport? Apply(DicomFile input, DicomFile output)
    {
        var src = input.Dataset;
        if (!src.Contains(DicomTag.PixelData) && !src.Contains(DicomTag.FloatPixelData) && !src.Contains(DicomTag.DoubleFloatPixelData))
        {
            return null;
        }

        var declared = src.GetSingleValueOrDefault(DicomTag.BurnedInAnnotation, string.Empty).Trim().Equals("YES", StringComparison.OrdinalIgnoreCase);
        var reasons = new List<string>(2);
        if (declared)
        {
            reasons.Add("attribute");
        }

        if (_modalities.Contains(src.GetSingleValueOrDefault(DicomTag.Modality, string.Empty).Trim()))
        {
            reasons.Add("modality");
        }

        if (_sopClasses.Contains(src.GetSingleValueOrDefault(DicomTag.SOPClassUID, string.Empty).TrimEnd('\0', ' ')))
        {
            reasons.Add("sopClass");
        }

        var regions = _policy.Regions.Count == 0 ? [] : MatchingRegions(src);
        if (regions.Count > 0)
        {
            reasons.Add("region");
        }

        if (reasons.Count == 0)
        {
            return null;
        }

        if (declared && _policy.Action == BurnedInAction.Quarantine)
        {
            throw new DeidRejectedException("burned-in-annotation", "the instance declares Burned In Annotation = YES and the policy quarantines burned-in text (burnedIn.action: quarantine)");
        }

        var info = Guard(() => PixelDataInfo.FromDataset(src));
        var ocr = _policy.Detect == BurnedInDetection.Ocr && reasons.Any(r => r != "region");
        var boxes = new List<MaskedBox>();
        foreach (var r in regions)
        {
            boxes.Add(new MaskedBox(r.X, r.Y, r.Width, r.Height, "region"));
        }

        var frames = ocr ? FramesToScan(info.NumberOfFrames, _policy.MaxOcrFrames) : [];
        var clock = Stopwatch.StartNew();
        foreach (var f in frames)
        {
            var image = Guard(() => RenderForOcr(input, f));
            foreach (var word in Guard(() => _detector.Detect(image)))
            {
                var b = word.Inflate(_policy.Margin, info.Columns, info.Rows);
                if (!boxes.Any(m => new PixelRect(m.X, m.Y, m.Width, m.Height).Contains(b)))
                {
                    boxes.Add(new MaskedBox(b.X, b.Y, b.Width, b.Height, "ocr"));
                }
            }
        }

        var ocrMs = ocr ? Math.Round(clock.Elapsed.TotalMilliseconds, 1) : 0;
        if (boxes.Count == 0)
        {
            return declared
                ? throw new DeidRejectedException("burned-in-unlocated", $"the instance declares Burned In Annotation = YES but {(ocr ? "OCR found no text" : "no OCR ran and no fixed region matches")}, so the text cannot be masked")
                : Report(reasons, ocr, info, frames, boxes, ocrMs, target: null);
        }

        if (_policy.Action == BurnedInAction.Quarantine)
        {
            throw new DeidRejectedException("burned-in-text", $"{boxes.Count} regions of burned-in text were found in the pixel data and the policy quarantines burned-in text (burnedIn.action: quarantine)");
        }

        var rects = boxes.Select(b => new PixelRect(b.X, b.Y, b.Width, b.Height)).ToArray();
        var target = TargetSyntax(output.TransferSyntax, info);
        // A de-identified object must stay valid in its IOD: a masked colour JPEG is written back as RGB.
        Guard(() => PixelTranscoder.Transcode(output, target, (samples, layout) => StoredFrameMasker.Fill(samples, layout, rects), lossyYbrToRgb: true));
        output.Dataset.AddOrUpdate(DicomTag.BurnedInAnnotation, DicomVR.CS, "NO");
        if (output.Dataset.TryGetSequence(DicomTag.DeidentificationMethodCodeSequence, out var methods))
        {
            methods.Items.Add(Deidentifier.Code(CleanPixelDataCode, "Clean Pixel Data Option"));
        }

        return Report(reasons, ocr, info, frames, boxes, ocrMs, target);
    }

    private static BurnedInReport Report(List<string> reasons, bool ocr, PixelDataInfo info, int[] frames, List<MaskedBox> boxes, double ocrMs, DicomTransferSyntax? target) => new()
    {
        Reasons = reasons,
        Detection = ocr ? "ocr" : "none",
        Frames = info.NumberOfFrames,
        FramesScanned = frames.Length,
        Boxes = boxes,
        Masked = target is not null,
        TransferSyntax = target?.Uid,
        OcrMilliseconds = ocrMs,
    };

    private List<PixelRect> MatchingRegions(DicomDataset src)
    {
        var rows = src.GetValueOrDefault(DicomTag.Rows, 0);
        var columns = src.GetValueOrDefault(DicomTag.Columns, 0);
        return [.. _policy.Regions.Where(r => r.Matches(src, rows, columns)).SelectMany(r => r.Boxes).Select(b => b.ToRect().Inflate(0, columns, rows)).Where(b => !b.IsEmpty)];
    }

    /// <summary>Every frame up to <paramref name="max"/> (0: no limit), else <paramref name="max"/> evenly spaced
    /// from the first to the last.</summary>
    internal static int[] FramesToScan(int count, int max)
    {
        if (max == 0 || count <= max)
        {
            return [.. Enumerable.Range(0, count)];
        }

        return max == 1 ? [0] : [.. Enumerable.Range(0, max).Select(i => (int)((long)i * (count - 1) / (max - 1))).Distinct()];
    }

    /// <summary>The frame as displayed (Renderer: modality and VOI LUT to 8 bits, colour to RGB). A palette image
    /// whose tables cannot be applied is shown as its indices, which still draw the text.</summary>
    private static Image8 RenderForOcr(DicomFile input, int frame)
    {
        var decoded = FrameDecoder.Decode(input.Dataset, input.TransferSyntax, frame);
        try
        {
            return Renderer.Render(input.Dataset, decoded, frame);
        }
        catch (PixelDataException) when (decoded.Samples == 1)
        {
            return Grey(decoded);
        }
    }

    private static Image8 Grey(DecodedFrame frame)
    {
        var values = frame.Values;
        float min = float.MaxValue, max = float.MinValue;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        var scale = max > min ? 255f / (max - min) : 0;
        var pixels = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp(MathF.Round((values[i] - min) * scale), 0, 255);
        }

        return new Image8(frame.Columns, frame.Rows, 1, pixels);
    }

    /// <summary>Where the masked frames are written: the syntax they came in when it is native or one we write
    /// losslessly (RLE, JPEG-LS lossless, JPEG 2000 lossless); a lossy or near-lossless one becomes its lossless
    /// sibling; others (JPEG, JPEG lossless, HTJ2K, deflated frames) JPEG-LS lossless, or RLE where CharLS cannot
    /// code the samples. Masking never adds loss.</summary>
    internal static DicomTransferSyntax TargetSyntax(DicomTransferSyntax current, PixelDataInfo info)
    {
        if (current.IsNative)
        {
            return current;
        }

        var jpegLs = CharLsCodec.IsAvailable && info.BitsAllocated is 8 or 16;
        if (current == DicomTransferSyntax.RLELossless || (current == DicomTransferSyntax.JPEGLSLossless && jpegLs))
        {
            return current;
        }

        if ((current == DicomTransferSyntax.JPEG2000Lossless || current == DicomTransferSyntax.JPEG2000) && OpenJpegCodec.IsAvailable)
        {
            return DicomTransferSyntax.JPEG2000Lossless;
        }

        return jpegLs ? DicomTransferSyntax.JPEGLSLossless : DicomTransferSyntax.RLELossless;
    }

    /// <summary>Pixel problems become quarantine reasons: an image in scope that cannot be checked or cleaned must not
    /// go out as de-identified.</summary>
    private static T Guard<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (PixelDataException e)
        {
            throw new DeidRejectedException(e.Code == "ocr-unavailable" ? e.Code : "burned-in-" + e.Code, "burned-in text check: " + e.Message);
        }
    }

    private static void Guard(Action step) => Guard(() =>
    {
        step();
        return true;
    });
}
