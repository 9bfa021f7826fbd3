using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>Modality and VOI transforms against pydicom's own apply_modality_lut / apply_voi_lut on the same stored
/// values (tests/tools/display_reference.py): rescale, Modality LUT Sequence, windows with each VOI function, a VOI LUT
/// Sequence, per-frame functional groups; and the refusals.</summary>
public sealed class DisplayTransformTests
{
    private static void AssertMatchesPydicom(string path, int frameIndex = 0)
    {
        var file = DicomFile.Open(path);
        var stored = FrameDecoder.DecodeStored(file.Dataset, file.TransferSyntax, frameIndex);
        var frame = FrameDecoder.Decode(file.Dataset, file.TransferSyntax, frameIndex);
        var image = Renderer.Render(file.Dataset, frame, frameIndex);
        var dir = Directory.CreateTempSubdirectory("smed-voi-").FullName;
        var storedNpy = Path.Combine(dir, "stored.npy");
        var oursNpy = Path.Combine(dir, "ours.npy");
        var storedArray = StoredValuesArray.ToNpy([stored]);
        File.WriteAllBytes(storedNpy, storedArray);
        File.WriteAllBytes(oursNpy, NpyWriter.Write(image.Pixels, "|u1", [image.Height, image.Width]));

        // stored.npy is (1, rows, columns): the tool wants (rows, columns).
        var r = ExternalTool.Run("/usr/bin/python3", ["-c", $"import numpy as np; a = np.load('{storedNpy}'); np.save('{storedNpy}', a[0])"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        r = ExternalTool.Run("/usr/bin/python3", [Path.Combine(Corpus.RepoRoot, "tests", "tools", "display_reference.py"), path, storedNpy, oursNpy, frameIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Directory.Delete(dir, recursive: true);
        Assert.True(r.ExitCode == 0, $"{Path.GetFileName(path)} frame {frameIndex}: {r.StdOut}{r.StdErr}");
    }

    private static string Variant(string rel, Action<DicomDataset> change)
    {
        var file = DicomFile.Open(Corpus.Get(rel).FullPath);
        change(file.Dataset);
        var path = Path.Combine(Path.GetTempPath(), $"smed-voi-{Guid.NewGuid():N}.dcm");
        file.Save(path);
        return path;
    }

    /// <summary>CT_small defines no window (we then window over the frame's range, which pydicom has no function for):
    /// give it a soft-tissue one.</summary>
    private static string WindowedCt(Action<DicomDataset>? more = null) => Variant("pydicom/CT_small.dcm", ds =>
    {
        ds.AddOrUpdate(DicomTag.WindowCenter, DicomVR.DS, "40");
        ds.AddOrUpdate(DicomTag.WindowWidth, DicomVR.DS, "400");
        more?.Invoke(ds);
    });

    [Fact]
    public void Rescale_and_linear_window() => AssertMatchesPydicom(WindowedCt());

    [Theory]
    [InlineData("LINEAR_EXACT")]
    [InlineData("SIGMOID")]
    public void Other_voi_functions(string function) => AssertMatchesPydicom(WindowedCt(ds => ds.AddOrUpdate(DicomTag.VOILUTFunction, DicomVR.CS, function)));

    [Fact]
    public void Monochrome1_is_inverted() => AssertMatchesPydicom(WindowedCt(ds => ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "MONOCHROME1")));

    [Fact]
    public void Modality_lut_sequence_values_equal_pydicom_apply_modality_lut()
    {
        // mlut_18: signed 12-bit stored values through a 4096-entry table starting at -2048.
        var file = DicomFile.Open(Corpus.Get("pydicom-data/mlut_18.dcm").FullPath);
        var display = DisplayAttributes.For(file.Dataset);
        Assert.NotNull(display.ModalityLut);
        Assert.Equal(-2048, display.ModalityLut!.FirstMapped);
        AssertMatchesPydicom(Corpus.Get("pydicom-data/mlut_18.dcm").FullPath);
    }

    [Fact]
    public void Voi_lut_sequence_is_preferred_to_the_window()
    {
        var path = Variant("pydicom/CT_small.dcm", ds =>
        {
            // A 1024-entry, 10-bit LUT from stored value 0: a gamma-like curve, so a wrong index shows.
            var data = new byte[2048];
            for (var i = 0; i < 1024; i++)
            {
                var v = (ushort)Math.Round(1023 * Math.Sqrt(i / 1023.0));
                data[2 * i] = (byte)v;
                data[(2 * i) + 1] = (byte)(v >> 8);
            }

            var item = new DicomDataset();
            item.AddOrUpdate<ushort>(DicomTag.LUTDescriptor, DicomVR.US, 1024, 0, 10);
            item.AddOrUpdate(new DicomElement(DicomTag.LUTData, DicomVR.OW, DicomBuffer.FromBytes(data)));
            ds.AddOrUpdate(new DicomSequence(DicomTag.VOILUTSequence, [item]));
        });
        AssertMatchesPydicom(path);
        var file = DicomFile.Open(path);
        Assert.NotNull(DisplayAttributes.For(file.Dataset).VoiLut);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Enhanced_ct_frames_take_their_window_and_rescale_from_the_functional_groups(int frame)
    {
        var path = Corpus.Get("pydicom-data/eCT_Supplemental.dcm").FullPath;
        var display = DisplayAttributes.For(DicomFile.Open(path).Dataset, frame);
        Assert.Equal(-1024, display.Intercept);
        Assert.Equal(49, display.WindowCenter);
        AssertMatchesPydicom(path, frame);
    }

    [Fact]
    public void Unknown_photometric_and_missing_palette_are_refused_naming_the_problem()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom/CT_small.dcm").FullPath);
        var frame = FrameDecoder.Decode(file.Dataset, file.TransferSyntax);
        file.Dataset.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "CMYK");
        var e = Assert.Throws<PixelDataException>(() => Renderer.Render(file.Dataset, frame));
        Assert.Equal("unsupported-photometric", e.Code);
        Assert.Contains("CMYK", e.Message, StringComparison.Ordinal);

        file.Dataset.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, "PALETTE COLOR");
        e = Assert.Throws<PixelDataException>(() => Renderer.Render(file.Dataset, frame));
        Assert.Equal("bad-palette", e.Code);
    }
}
