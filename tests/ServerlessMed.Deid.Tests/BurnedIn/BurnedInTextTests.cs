using System.Text.Json;
using ServerlessMed.Deid.BurnedIn;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests.BurnedIn;

/// <summary>Burned-in text (issue 17 item 7): identifiers drawn into the pixels of ultrasound images the tests build
/// are found, filled in the stored values of every frame and unreadable afterwards (read back by the tesseract
/// command, not our OCR); images without text come out with byte-identical pixel data; the audit lists boxes, never
/// text; the quarantine action quarantines.</summary>
public sealed class BurnedInTextTests
{
    private static readonly TenantKey Key = new([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    public static TheoryData<string> Variants() =>
    [
        "rgb", "mono8", "mono16", "multiframe", "rle", "jpeg-ls", "jpeg2000", "jpeg-baseline",
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void Planted_identifiers_are_found_masked_in_every_frame_and_unreadable_afterwards(string variant)
    {
        using var temp = new TempFolder();
        var image = Variant(variant);
        var input = temp.Save(image.File, "in.dcm", variant);
        foreach (var f in Enumerable.Range(0, image.Ink.Length))
        {
            // The test images are legible: an independent reader finds what was planted before masking.
            var before = TextReader.Found(TextReader.Read(input, f), WordsOn(image, f));
            Assert.True(before.Count >= WordsOn(image, f).Count() - 1, $"{variant} frame {f}: tesseract reads only {before.Count} planted words in the input");
        }

        var (output, audit) = Deidentify(temp, input, DeidPolicy.Default);

        var report = Assert.IsType<BurnedInReport>(audit.BurnedIn);
        Assert.True(report.Masked);
        Assert.Equal("ocr", report.Detection);
        Assert.Contains("modality", report.Reasons);
        Assert.Equal(image.Ink.Length, report.FramesScanned);
        Assert.Equal("NO", output.Dataset.GetString(DicomTag.BurnedInAnnotation));
        Assert.Contains(output.Dataset.GetSequence(DicomTag.DeidentificationMethodCodeSequence).Items, i => i.GetString(DicomTag.CodeValue) == "113101");
        Assert.Equal(report.TransferSyntax, output.TransferSyntax.Uid);

        AssertFilledAndElsewhereUnchanged(image, input, output, report);
        foreach (var f in Enumerable.Range(0, image.Ink.Length))
        {
            Assert.Empty(TextReader.Found(TextReader.Read(output, f), image.Words));
        }

        // (d) the audit says what was masked, as boxes, and nothing the pixels said.
        var json = JsonSerializer.Serialize(audit, DeidJsonContext.Default.DeidAuditRecord);
        Assert.Contains("\"boxes\"", json, StringComparison.Ordinal);
        Assert.All(image.Words, w => Assert.DoesNotContain(w, json, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Compressed_masked_output_decodes_the_same_in_independent_tools()
    {
        using var temp = new TempFolder();
        foreach (var variant in new[] { "rle", "jpeg-ls", "jpeg2000", "jpeg-baseline" })
        {
            var (output, _) = Deidentify(temp, temp.Save(Variant(variant).File, variant + ".dcm", variant), DeidPolicy.Default);
            var path = temp.Path(variant + "-out.dcm");
            output.Save(path);
            var raw = temp.Path(variant + "-raw.dcm");
            var (tool, args) = output.TransferSyntax.Uid switch
            {
                "1.2.840.10008.1.2.5" => ("dcmdrle", new[] { path, raw }),
                "1.2.840.10008.1.2.4.80" => ("dcmdjpls", new[] { path, raw }),
                _ => ("gdcmconv", new[] { "--raw", path, raw }),
            };
            var r = ExternalTool.Run(tool, args);
            Assert.True(r.ExitCode == 0, $"{variant}: {tool}: {r.StdErr}");
            var theirs = DicomFile.Open(raw);
            for (var f = 0; f < PixelDataInfo.FromDataset(output.Dataset).NumberOfFrames; f++)
            {
                Assert.Equal(FrameDecoder.DecodeStored(output.Dataset, output.TransferSyntax, f).Bytes, FrameDecoder.DecodeStored(theirs.Dataset, theirs.TransferSyntax, f).Bytes);
            }
        }
    }

    public static TheoryData<string> Controls() =>
    [
        "synthetic:rgb", "synthetic:mono8", "synthetic:mono16", "synthetic:multiframe", "synthetic:rle",
        "dicomParser/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm", "pydicom-data/color-pl.dcm", "pydicom-data/OT-PAL-8-face.dcm",
    ];

    [Theory]
    [MemberData(nameof(Controls))]
    public void Images_without_text_keep_byte_identical_pixel_data(string control)
    {
        using var temp = new TempFolder();
        DicomFile input;
        if (control.StartsWith("synthetic:", StringComparison.Ordinal))
        {
            var variant = control["synthetic:".Length..];
            input = temp.Save(Variant(variant, withText: false).File, "in.dcm", variant);
        }
        else
        {
            input = DicomFile.Open(Corpus.Get(control).FullPath);
        }

        AssertUnchanged(temp, input);
    }

    public static TheoryData<int, int, int, int, bool> SpeckleControls()
    {
        var data = new TheoryData<int, int, int, int, bool>();
        foreach (var (columns, rows, spp, bits) in SpeckleImages.BenchSizes)
        {
            data.Add(columns, rows, spp, bits, false);
        }

        data.Add(512, 512, 1, 16, true);
        return data;
    }

    /// <summary>The bench's text-free speckle (bench/burned-in-ocr.sh): a cone of grains on black, whose sharp edges
    /// and grain texture Tesseract reads as words.</summary>
    [Theory]
    [MemberData(nameof(SpeckleControls))]
    public void Text_free_speckle_keeps_byte_identical_pixel_data(int columns, int rows, int samplesPerPixel, int bits, bool noise)
    {
        using var temp = new TempFolder();
        AssertUnchanged(temp, temp.Save(SpeckleImages.Build(columns, rows, samplesPerPixel, bits, noise), "speckle.dcm", "native"));
    }

    /// <summary>OCR ran on the control, found nothing, and its pixel data is what it was, byte for byte.</summary>
    private static void AssertUnchanged(TempFolder temp, DicomFile input)
    {
        var (output, audit) = Deidentify(temp, input, DeidPolicy.Default);

        var report = Assert.IsType<BurnedInReport>(audit.BurnedIn);
        Assert.Equal("ocr", report.Detection);
        Assert.Empty(report.Boxes); // first: a failure lists the boxes
        Assert.False(report.Masked);
        Assert.Null(report.TransferSyntax);
        Assert.Equal(input.Dataset.Contains(DicomTag.BurnedInAnnotation), output.Dataset.Contains(DicomTag.BurnedInAnnotation));
        Assert.Equal(input.TransferSyntax.IsEncapsulated, output.TransferSyntax.IsEncapsulated);
        Assert.Equal(PixelBytes(input), PixelBytes(output));
    }

    [Fact]
    public void The_quarantine_action_quarantines_with_a_reason_that_holds_no_phi()
    {
        using var temp = new TempFolder();
        var image = Variant("rgb");
        var policy = DeidPolicy.Parse("""{"burnedIn": {"action": "quarantine"}}""");
        var e = Assert.Throws<DeidRejectedException>(() => new Deidentifier(Key, policy).Deidentify(temp.Save(image.File, "in.dcm", "rgb")));
        Assert.Equal("burned-in-text", e.Code);
        Assert.All(image.Words, w => Assert.DoesNotContain(w, e.Message, StringComparison.OrdinalIgnoreCase));

        // Without text the same policy lets the image through, untouched.
        var clean = temp.Save(Variant("rgb", withText: false).File, "clean.dcm", "rgb");
        Assert.Equal(PixelBytes(clean), PixelBytes(new Deidentifier(Key, policy).Deidentify(clean).File));
    }

    [Fact]
    public void A_declared_yes_is_quarantined_when_the_policy_says_so_or_when_nothing_can_be_located()
    {
        using var temp = new TempFolder();
        var ct = DicomFile.Open(Corpus.Get("pydicom/CT_small.dcm").FullPath);
        ct.Dataset.AddOrUpdate(DicomTag.BurnedInAnnotation, DicomVR.CS, "YES");
        var quarantine = Assert.Throws<DeidRejectedException>(() => new Deidentifier(Key, DeidPolicy.Parse("""{"burnedIn": {"action": "quarantine"}}""")).Deidentify(ct));
        Assert.Equal("burned-in-annotation", quarantine.Code);
        var unlocated = Assert.Throws<DeidRejectedException>(() => new Deidentifier(Key, DeidPolicy.Default).Deidentify(ct));
        Assert.Equal("burned-in-unlocated", unlocated.Code);

        // Declared YES on a modality OCR would not otherwise look at: scanned because of the attribute, and masked.
        var image = Variant("mono8");
        image.File.Dataset.AddOrUpdate(DicomTag.Modality, DicomVR.CS, "CT");
        image.File.Dataset.AddOrUpdate(DicomTag.BurnedInAnnotation, DicomVR.CS, "YES");
        var (output, audit) = Deidentify(temp, temp.Save(image.File, "yes.dcm", "mono8"), DeidPolicy.Default);
        Assert.Equal(["attribute"], audit.BurnedIn!.Reasons);
        Assert.True(audit.BurnedIn.Masked);
        Assert.Equal("NO", output.Dataset.GetString(DicomTag.BurnedInAnnotation));
    }

    [Fact]
    public void Ocr_runs_only_where_the_policy_asks()
    {
        using var temp = new TempFolder();
        var image = Variant("mono8");
        image.File.Dataset.AddOrUpdate(DicomTag.Modality, DicomVR.CS, "CT");
        image.File.Dataset.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.2");
        var input = temp.Save(image.File, "ct.dcm", "mono8");

        var (untouched, audit) = Deidentify(temp, input, DeidPolicy.Default);
        Assert.Null(audit.BurnedIn); // CT is not in the default modalities: not even looked at
        Assert.Equal(PixelBytes(input), PixelBytes(untouched));

        var bySopClass = DeidPolicy.Parse("""{"burnedIn": {"sopClasses": ["1.2.840.10008.5.1.4.1.1.2"]}}""");
        var (masked, audit2) = Deidentify(temp, input, bySopClass);
        Assert.Equal(["sopClass"], audit2.BurnedIn!.Reasons);
        Assert.True(audit2.BurnedIn.Masked);
        Assert.Empty(TextReader.Found(TextReader.Read(masked, 0), image.Words));

        var off = DeidPolicy.Parse("""{"burnedIn": {"detect": "none"}}""");
        var (kept, audit3) = Deidentify(temp, temp.Save(Variant("rgb").File, "us.dcm", "rgb"), off);
        Assert.Equal("none", audit3.BurnedIn!.Detection);
        Assert.False(audit3.BurnedIn.Masked);
        Assert.Equal(0, audit3.BurnedIn.FramesScanned);
        Assert.NotEqual("NO", kept.Dataset.GetSingleValueOrDefault(DicomTag.BurnedInAnnotation, string.Empty));
    }

    [Fact]
    public void Fixed_regions_by_manufacturer_model_and_size_are_masked_without_ocr()
    {
        using var temp = new TempFolder();
        var image = Variant("mono8");
        var input = temp.Save(image.File, "in.dcm", "mono8");
        var policy = DeidPolicy.Parse("""
            {"burnedIn": {"detect": "none", "regions": [
              {"manufacturer": "acme", "manufacturerModelName": "SONO", "rows": 480, "columns": 640, "boxes": [{"x": 0, "y": 0, "width": 640, "height": 70}]},
              {"manufacturer": "Other Vendor", "boxes": [{"x": 0, "y": 400, "width": 640, "height": 80}]},
              {"rows": 512, "columns": 512, "boxes": [{"x": 0, "y": 0, "width": 10, "height": 10}]}
            ]}}
            """);
        var (output, audit) = Deidentify(temp, input, policy);
        var box = Assert.Single(audit.BurnedIn!.Boxes);
        Assert.Equal(new MaskedBox(0, 0, 640, 70, "region"), box);
        Assert.Equal(["modality", "region"], audit.BurnedIn.Reasons);
        Assert.Equal("NO", output.Dataset.GetString(DicomTag.BurnedInAnnotation));
        var stored = FrameDecoder.DecodeStored(output.Dataset, output.TransferSyntax, 0).Bytes;
        Assert.All(stored[..(640 * 70)], b => Assert.Equal(0, b));
        Assert.Equal(FrameDecoder.DecodeStored(input.Dataset, input.TransferSyntax, 0).Bytes[(640 * 70)..], stored[(640 * 70)..]);
        Assert.Empty(TextReader.Found(TextReader.Read(output, 0), image.Words)); // every planted line is in the band
    }

    /// <summary>A variant of the planted-text image: colour or grey, 8 or 16 bits, several frames (one word only in the
    /// last), or compressed (our RLE, JPEG-LS and JPEG 2000 encoders; DCMTK's lossy JPEG baseline).</summary>
    internal static BurnedInImage Variant(string variant, bool withText = true)
    {
        PlantedText[] texts = withText ? [.. BurnedInImages.Identifiers] : [];
        return variant switch
        {
            "rgb" or "rle" or "jpeg2000" or "jpeg-baseline" => BurnedInImages.Build(texts),
            "mono8" or "jpeg-ls" => BurnedInImages.Build(texts, "MONOCHROME2"),
            "mono16" => BurnedInImages.Build(texts, "MONOCHROME2", bits: 16),
            "multiframe" => BurnedInImages.Build(withText ? [.. texts, new PlantedText("ACC 99887766", 520, 200, 15, Frame: 2)] : texts, frames: 3),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
        };
    }

    private static IEnumerable<string> WordsOn(BurnedInImage image, int frame) =>
        new BurnedInImage(image.File, image.Ink, [.. image.Texts.Where(t => t.Frame is null || t.Frame == frame)]).Words;

    private static (DicomFile Output, DeidAuditRecord Audit) Deidentify(TempFolder temp, DicomFile input, DeidPolicy policy)
    {
        var result = new Deidentifier(Key, policy).Deidentify(input);
        var path = temp.Path($"out-{Guid.NewGuid():N}.dcm");
        result.File.Save(path);
        return (DicomFile.Open(path), result.Audit);
    }

    /// <summary>Every pixel the text inked lies in a masked box and holds the fill (black) in every frame; every pixel
    /// outside the boxes is what the input held.</summary>
    private static void AssertFilledAndElsewhereUnchanged(BurnedInImage image, DicomFile input, DicomFile output, BurnedInReport report)
    {
        var boxes = report.Boxes;
        for (var f = 0; f < image.Ink.Length; f++)
        {
            var before = FrameDecoder.DecodeStored(input.Dataset, input.TransferSyntax, f);
            var after = FrameDecoder.DecodeStored(output.Dataset, output.TransferSyntax, f);
            if ((before.Photometric ?? before.Layout.Photometric).StartsWith("YBR_FULL", StringComparison.Ordinal) && (after.Photometric ?? after.Layout.Photometric) == "RGB")
            {
                // A masked colour JPEG is written back as RGB (valid in its IOD): compare in RGB.
                YbrFullToRgb.Convert(before.Bytes);
            }

            var layout = before.Layout;
            var size = layout.SamplesPerPixel * layout.BitsAllocated / 8;
            var fill = new byte[size];
            if (layout.SamplesPerPixel == 1)
            {
                var min = Enumerable.Range(0, layout.Rows * layout.Columns).Min(p => Sample(before.Bytes, p, size));
                fill = BitConverter.GetBytes(min)[..size];
            }

            int uncovered = 0, unfilled = 0, changed = 0;
            for (var p = 0; p < layout.Rows * layout.Columns; p++)
            {
                int x = p % layout.Columns, y = p / layout.Columns;
                var inside = boxes.Any(b => x >= b.X && x < b.X + b.Width && y >= b.Y && y < b.Y + b.Height);
                var a = after.Bytes.AsSpan(p * size, size);
                if (image.Ink[f][p])
                {
                    uncovered += inside ? 0 : 1;
                    unfilled += a.SequenceEqual(fill) ? 0 : 1;
                }
                else if (!inside)
                {
                    changed += a.SequenceEqual(before.Bytes.AsSpan(p * size, size)) ? 0 : 1;
                }
            }

            Assert.True(uncovered == 0 && unfilled == 0 && changed == 0, $"frame {f}: {uncovered} inked pixels outside every box, {unfilled} not filled, {changed} pixels outside the boxes changed");
        }
    }

    private static int Sample(byte[] bytes, int pixel, int size) => size == 1 ? bytes[pixel] : BitConverter.ToUInt16(bytes, pixel * 2);

    /// <summary>Pixel data as stored: the element's bytes, or the fragments' bytes in order.</summary>
    internal static byte[] PixelBytes(DicomFile file) => file.Dataset[DicomTag.PixelData] switch
    {
        DicomElement e => e.Buffer.GetMemory().ToArray(),
        DicomFragmentSequence s => [.. s.Fragments.SelectMany(f => f.GetMemory().ToArray())],
        _ => throw new InvalidOperationException("no pixel data"),
    };
}
