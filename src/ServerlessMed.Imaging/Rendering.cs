using System.Globalization;
using ServerlessMed.Dicom;

namespace ServerlessMed.Imaging;

/// <summary>An 8-bit image (gray or RGB) ready for a PNG or a tensor.</summary>
public sealed class Image8(int width, int height, int channels, byte[] pixels)
{
    public int Width { get; } = width;

    public int Height { get; } = height;

    public int Channels { get; } = channels;

    public byte[] Pixels { get; } = pixels;
}

/// <summary>Stored values to display values: Modality LUT (rescale, or a Modality LUT Sequence), VOI LUT (window with
/// the LINEAR, LINEAR_EXACT or SIGMOID function, or a VOI LUT Sequence; min-max when the instance has none; per frame
/// from the functional groups of enhanced multi-frame instances), MONOCHROME1 inversion, YBR_FULL/YBR_FULL_422/YBR_ICT
/// and YBR_RCT to RGB, palette colour. Other photometric interpretations are refused, naming them.</summary>
public static class Renderer
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT",
    };

    /// <param name="ds">The instance.</param>
    /// <param name="frame">The decoded frame.</param>
    /// <param name="frameIndex">Which frame it is, for per-frame window and rescale values.</param>
    public static Image8 Render(DicomDataset ds, DecodedFrame frame, int frameIndex = 0)
    {
        var photometric = frame.Photometric ?? ds.GetSingleValueOrDefault(DicomTag.PhotometricInterpretation, "MONOCHROME2").Trim();
        if (!Known.Contains(photometric))
        {
            throw new PixelDataException("unsupported-photometric", $"photometric interpretation '{(photometric.Length <= 16 ? photometric : photometric[..16])}' cannot be displayed (supported: {string.Join(", ", Known)})");
        }

        if (frame.Samples == 3)
        {
            return RenderColor(frame, photometric);
        }

        if (photometric == "PALETTE COLOR")
        {
            return TryRenderPalette(ds, frame, out var palette)
                ? palette
                : throw new PixelDataException("bad-palette", "PALETTE COLOR image without complete red, green and blue palette lookup tables");
        }

        var display = DisplayAttributes.For(ds, frameIndex);
        var values = frame.Values;
        var n = values.Length;
        var modality = new float[n];
        for (var i = 0; i < n; i++)
        {
            modality[i] = display.Modality(values[i]);
        }

        var invert = photometric == "MONOCHROME1";
        var pixels = new byte[n];
        if (display.VoiLut is { } voiLut)
        {
            var scale = 255.0 / voiLut.MaxOutput;
            for (var i = 0; i < n; i++)
            {
                var b = (byte)Math.Clamp(Math.Round(voiLut.Map(modality[i]) * scale), 0, 255);
                pixels[i] = invert ? (byte)(255 - b) : b;
            }

            return new Image8(frame.Columns, frame.Rows, 1, pixels);
        }

        var (center, width) = display.WindowCenter is { } wc && display.WindowWidth is { } ww ? (wc, ww) : Window(modality);
        var function = display.VoiFunction;
        for (var i = 0; i < n; i++)
        {
            double y;
            var x = modality[i];
            if (function == "SIGMOID")
            {
                y = 1.0 / (1.0 + Math.Exp(-4.0 * (x - center) / width));
            }
            else if (function == "LINEAR_EXACT")
            {
                // PS3.3 C.11.2.1.3.2.
                y = Math.Clamp(((x - center) / width) + 0.5, 0, 1);
            }
            else
            {
                // PS3.3 C.11.2.1.2.1 linear window.
                y = x <= center - 0.5 - ((width - 1) / 2) ? 0
                    : x > center - 0.5 + ((width - 1) / 2) ? 1
                    : ((x - (center - 0.5)) / (width - 1)) + 0.5;
            }

            var b = (byte)Math.Clamp(Math.Round(y * 255), 0, 255);
            pixels[i] = invert ? (byte)(255 - b) : b;
        }

        return new Image8(frame.Columns, frame.Rows, 1, pixels);
    }

    /// <summary>A window spanning the frame's values, for instances that define none.</summary>
    private static (double Center, double Width) Window(float[] values)
    {
        float min = float.MaxValue, max = float.MinValue;
        foreach (var v in values)
        {
            if (float.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }

        if (min > max)
        {
            return (0, 1);
        }

        return ((min + max) / 2.0 + 0.5, Math.Max(1, max - min + 1));
    }

    private static Image8 RenderColor(DecodedFrame frame, string photometric)
    {
        var n = frame.Rows * frame.Columns;
        var pixels = new byte[n * 3];
        var ybr = photometric.StartsWith("YBR_FULL", StringComparison.Ordinal) || photometric == "YBR_ICT";
        var rct = photometric == "YBR_RCT";
        var max = frame.Values.Max();
        var scale = max > 255 ? 255.0 / max : 1.0;
        for (var i = 0; i < n; i++)
        {
            double r = frame.Values[i * 3], g = frame.Values[(i * 3) + 1], b = frame.Values[(i * 3) + 2];
            if (ybr)
            {
                // PS3.3 C.7.6.3.1.2 YBR_FULL to RGB.
                var y = r;
                var cb = g - 128;
                var cr = b - 128;
                r = y + (1.402 * cr);
                g = y - (0.344136 * cb) - (0.714136 * cr);
                b = y + (1.772 * cb);
            }
            else if (rct)
            {
                // ISO 15444-1 G.2 inverse reversible colour transform (chroma centred by the encoder's level shift).
                var y = r;
                var cb = g - 128;
                var cr = b - 128;
                g = y - Math.Floor((cb + cr) / 4);
                r = cr + g;
                b = cb + g;
            }

            pixels[i * 3] = (byte)Math.Clamp(Math.Round(r * scale), 0, 255);
            pixels[(i * 3) + 1] = (byte)Math.Clamp(Math.Round(g * scale), 0, 255);
            pixels[(i * 3) + 2] = (byte)Math.Clamp(Math.Round(b * scale), 0, 255);
        }

        return new Image8(frame.Columns, frame.Rows, 3, pixels);
    }

    private static bool TryRenderPalette(DicomDataset ds, DecodedFrame frame, out Image8 image)
    {
        image = null!;
        var lut = new ushort[3][];
        var tags = new[] { (DicomTag.RedPaletteColorLookupTableDescriptor, DicomTag.RedPaletteColorLookupTableData), (DicomTag.GreenPaletteColorLookupTableDescriptor, DicomTag.GreenPaletteColorLookupTableData), (DicomTag.BluePaletteColorLookupTableDescriptor, DicomTag.BluePaletteColorLookupTableData) };
        int first = 0, bits = 16;
        for (var c = 0; c < 3; c++)
        {
            if (!ds.Contains(tags[c].Item1) || !ds.TryGetElement(tags[c].Item2, out var data))
            {
                return false;
            }

            var desc = ds.GetValues<int>(tags[c].Item1);
            first = desc.Length > 1 ? desc[1] : 0;
            bits = desc.Length > 2 ? desc[2] : 16;
            var bytes = data.Buffer.GetMemory().ToArray();
            lut[c] = bits == 8 && bytes.Length < 2 * Math.Max(1, desc[0] == 0 ? 65536 : desc[0])
                ? [.. bytes.Select(b => (ushort)b)]
                : [.. Enumerable.Range(0, bytes.Length / 2).Select(i => BitConverter.ToUInt16(bytes, i * 2))];
        }

        var n = frame.Rows * frame.Columns;
        var pixels = new byte[n * 3];
        var shift = bits > 8 ? bits - 8 : 0;
        for (var i = 0; i < n; i++)
        {
            var index = (int)frame.Values[i] - first;
            for (var c = 0; c < 3; c++)
            {
                var table = lut[c];
                var v = table[Math.Clamp(index, 0, table.Length - 1)];
                pixels[(i * 3) + c] = (byte)(v >> shift);
            }
        }

        image = new Image8(frame.Columns, frame.Rows, 3, pixels);
        return true;
    }

    internal static string Describe(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
