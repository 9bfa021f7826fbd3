using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Imaging;
using SkiaSharp;

namespace ServerlessMed.Deid.Tests.BurnedIn;

/// <summary>Text drawn into one frame (or every frame when <see cref="Frame"/> is null) at a baseline position.</summary>
public sealed record PlantedText(string Value, int X, int Baseline, float Size, int? Frame = null);

/// <summary>What a synthetic instance holds: its file and, per frame, which pixels the text inked.</summary>
public sealed record BurnedInImage(DicomFile File, bool[][] Ink, IReadOnlyList<PlantedText> Texts)
{
    /// <summary>The words a reader could take from the pixels (what OCR must not find after masking).</summary>
    public IEnumerable<string> Words => Texts.SelectMany(t => t.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Count(char.IsLetterOrDigit) >= 3).Distinct();
}

/// <summary>Ultrasound-like instances built by the tests: a speckled sector on black (seeded noise, different in every
/// frame) with identifiers drawn into the pixels with SkiaSharp in DejaVu Sans, the way scanners burn them in.</summary>
public static class BurnedInImages
{
    public const string Name = "DOE^JANE";

    public static readonly PlantedText[] Identifiers =
    [
        new("JANE DOE", 12, 22, 15),
        new("MRN 40417735", 12, 42, 15),
        new("DOB 1961-03-14", 12, 62, 15),
        new("ST MARY HOSPITAL", 380, 22, 15),
    ];

    private static readonly SKTypeface Font = SKTypeface.FromFile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        ?? throw new InvalidOperationException("DejaVu Sans is missing: run scripts/setup.sh (it installs fonts-dejavu-core)");

    /// <param name="photometric">RGB or MONOCHROME2.</param>
    /// <param name="bits">8, or 16 (12 stored, values 0-4095, with a window).</param>
    public static BurnedInImage Build(IReadOnlyList<PlantedText> texts, string photometric = "RGB", int bits = 8, int frames = 1, int columns = 640, int rows = 480, int seed = 7, string modality = "US")
    {
        var rgb = photometric == "RGB";
        var spp = rgb ? 3 : 1;
        var bytesPerSample = bits / 8;
        var frameBytes = rows * columns * spp * bytesPerSample;
        var pixels = new byte[frameBytes * frames];
        var ink = new bool[frames][];
        for (var f = 0; f < frames; f++)
        {
            var onFrame = texts.Where(t => t.Frame is null || t.Frame == f).ToList();
            var (grey, mask) = Draw(columns, rows, onFrame, seed + f);
            ink[f] = mask;
            for (var p = 0; p < rows * columns; p++)
            {
                var v = grey[p];
                var o = (f * frameBytes) + (p * spp * bytesPerSample);
                if (rgb)
                {
                    // Overlay text in the yellow scanners like; tissue grey.
                    var isInk = mask[p];
                    pixels[o] = v;
                    pixels[o + 1] = v;
                    pixels[o + 2] = isInk ? (byte)(v / 4) : v;
                }
                else if (bits == 16)
                {
                    var s = (ushort)(v * 4095 / 255);
                    pixels[o] = (byte)s;
                    pixels[o + 1] = (byte)(s >> 8);
                }
                else
                {
                    pixels[o] = v;
                }
            }
        }

        var ds = new DicomDataset();
        var multi = frames > 1;
        ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, modality == "US" ? (multi ? "1.2.840.10008.5.1.4.1.1.3.1" : "1.2.840.10008.5.1.4.1.1.6.1") : "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.10.543.{seed}.{frames}.{bits}.{spp}");
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.10.543.{seed}.1");
        ds.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.10.543.{seed}.2");
        ds.AddOrUpdate(DicomTag.Modality, DicomVR.CS, modality);
        ds.AddOrUpdate(DicomTag.PatientName, DicomVR.PN, Name);
        ds.AddOrUpdate(DicomTag.PatientID, DicomVR.LO, "40417735");
        ds.AddOrUpdate(DicomTag.PatientBirthDate, DicomVR.DA, "19610314");
        ds.AddOrUpdate(DicomTag.InstitutionName, DicomVR.LO, "ST MARY HOSPITAL");
        ds.AddOrUpdate(DicomTag.Manufacturer, DicomVR.LO, "ACME Ultrasound");
        ds.AddOrUpdate(DicomTag.ManufacturerModelName, DicomVR.LO, "Sono 5");
        ds.AddOrUpdate<ushort>(DicomTag.SamplesPerPixel, DicomVR.US, (ushort)spp);
        ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, photometric);
        if (rgb)
        {
            ds.AddOrUpdate<ushort>(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        if (multi)
        {
            ds.AddOrUpdate(DicomTag.NumberOfFrames, DicomVR.IS, frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        ds.AddOrUpdate<ushort>(DicomTag.Rows, DicomVR.US, (ushort)rows);
        ds.AddOrUpdate<ushort>(DicomTag.Columns, DicomVR.US, (ushort)columns);
        ds.AddOrUpdate<ushort>(DicomTag.BitsAllocated, DicomVR.US, (ushort)bits);
        ds.AddOrUpdate<ushort>(DicomTag.BitsStored, DicomVR.US, (ushort)(bits == 16 ? 12 : 8));
        ds.AddOrUpdate<ushort>(DicomTag.HighBit, DicomVR.US, (ushort)(bits == 16 ? 11 : 7));
        ds.AddOrUpdate<ushort>(DicomTag.PixelRepresentation, DicomVR.US, 0);
        if (bits == 16)
        {
            ds.AddOrUpdate(DicomTag.WindowCenter, DicomVR.DS, "2048");
            ds.AddOrUpdate(DicomTag.WindowWidth, DicomVR.DS, "4096");
        }

        ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, bits == 16 ? DicomVR.OW : DicomVR.OB, DicomBuffer.FromBytes(pixels)));
        return new BurnedInImage(new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian), ink, texts);
    }

    /// <summary>A speckled sector (grey 0-150) on black, and the text in white over it; the mask is where the text
    /// was drawn (anti-aliased edges included). Speckle grains are 3x2 pixels, as an ultrasound scanner's lateral
    /// resolution makes them, with a little per-pixel noise on top.</summary>
    private static (byte[] Grey, bool[] Ink) Draw(int columns, int rows, IReadOnlyList<PlantedText> texts, int seed)
    {
        var random = new Random(seed);
        var grains = new byte[((columns / 3) + 1) * ((rows / 2) + 1)];
        random.NextBytes(grains);
        var grey = new byte[columns * rows];
        var cx = columns / 2.0;
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                // A fan from the top centre, 70 degrees wide, from 90 pixels down to the bottom, fading with depth.
                var dx = x - cx;
                var dy = y + 20.0;
                var angle = Math.Abs(Math.Atan2(dx, dy));
                var r = Math.Sqrt((dx * dx) + (dy * dy));
                if (angle < 0.61 && r > 110 && y < rows - 8)
                {
                    var grain = grains[((y / 2) * ((columns / 3) + 1)) + (x / 3)] * 0.47;
                    grey[(y * columns) + x] = (byte)Math.Min(150, ((grain + random.Next(0, 30)) * (1.1 - (r / (rows * 1.6)))));
                }
            }
        }

        var ink = new bool[columns * rows];
        if (texts.Count == 0)
        {
            return (grey, ink);
        }

        using var bitmap = new SKBitmap(new SKImageInfo(columns, rows, SKColorType.Gray8, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Black);
            using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
            foreach (var t in texts)
            {
                using var font = new SKFont(Font, t.Size);
                canvas.DrawText(t.Value, t.X, t.Baseline, SKTextAlign.Left, font, paint);
            }
        }

        var text = bitmap.GetPixelSpan();
        for (var i = 0; i < grey.Length; i++)
        {
            if (text[i] > 0)
            {
                ink[i] = true;
                grey[i] = Math.Max(grey[i], text[i]);
            }
        }

        return (grey, ink);
    }

    /// <summary>Frame <paramref name="frame"/> as displayed, for reading it back.</summary>
    public static Image8 Render(DicomFile file, int frame) =>
        Renderer.Render(file.Dataset, FrameDecoder.Decode(file.Dataset, file.TransferSyntax, frame), frame);
}
