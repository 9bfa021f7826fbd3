using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>JPEG frames decoded through libturbojpeg against DCMTK's dcmdjpeg (an independent libjpeg build) on the
/// same files: lossy JPEG may differ by rounding, so at most 1 per sample.</summary>
public sealed class JpegDecodeTests
{
    public static TheoryData<string> EightBitJpegFiles() =>
    [
        .. Corpus.WellFormed.Where(f => f.TransferSyntaxUid is "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" && f.BitsAllocated == "8")
            .Select(f => f.RelativePath),
    ];

    [Theory]
    [MemberData(nameof(EightBitJpegFiles))]
    public void Frames_match_dcmdjpeg_within_one(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var reference = Path.Combine(Path.GetTempPath(), "smed-djpeg-" + Guid.NewGuid().ToString("N") + ".dcm");
        var r = ExternalTool.Run("dcmdjpeg", [src, reference]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        ReferenceFrames.AssertMatch(rel, src, reference, maxDifference: 1);
    }

    public static TheoryData<string> LosslessJpegFiles() =>
    [
        .. Corpus.WellFormed.Where(f => f.TransferSyntaxUid is "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" && f.BitsAllocated.Length > 0).Select(f => f.RelativePath),
    ];

    /// <summary>Our lossless JPEG decoder (process 14 and SV1) against dcmdjpeg's IJG lossless build: identical values.</summary>
    [Theory]
    [MemberData(nameof(LosslessJpegFiles))]
    public void Lossless_frames_are_identical_to_dcmdjpeg(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var reference = Path.Combine(Path.GetTempPath(), "smed-djpeg-" + Guid.NewGuid().ToString("N") + ".dcm");
        var r = ExternalTool.Run("dcmdjpeg", [src, reference]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        ReferenceFrames.AssertMatch(rel, src, reference, maxDifference: 0);
    }

    [Fact]
    public void Twelve_bit_jpeg_is_reported_as_unsupported_not_misdecoded()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom/JPGExtended.dcm").FullPath);
        var e = Assert.Throws<PixelDataException>(() => FrameDecoder.Decode(file.Dataset, file.TransferSyntax, 0));
        Assert.Equal("unsupported-transfer-syntax", e.Code);
    }

    [Fact]
    public void Colour_jpeg_renders_as_rgb_without_a_second_ybr_conversion()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom/SC_rgb_dcmtk_+eb+cy+np.dcm").FullPath);
        var frame = FrameDecoder.Decode(file.Dataset, file.TransferSyntax, 0);
        Assert.Equal("RGB", frame.Photometric);
        var image = Renderer.Render(file.Dataset, frame);
        Assert.Equal(3, image.Channels);
        // The DCMTK test image is a red/green/blue/white bar pattern: its first pixel is pure red.
        Assert.True(image.Pixels[0] > 200 && image.Pixels[1] < 60 && image.Pixels[2] < 60, $"first pixel {image.Pixels[0]},{image.Pixels[1]},{image.Pixels[2]}");
    }
}
