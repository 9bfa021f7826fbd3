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

    public static TheoryData<string> TwelveBitJpegFiles() =>
    [
        .. Corpus.WellFormed.Where(f => f.TransferSyntaxUid is "1.2.840.10008.1.2.4.51" && f.BitsAllocated == "16").Select(f => f.RelativePath),
    ];

    /// <summary>12-bit DCT JPEG through our decoder (libjpeg-turbo 2.1 has no 12-bit API) against dcmdjpeg's IJG 12-bit
    /// build: our IDCT is IJG's accurate integer one, so the samples are identical, not merely within one.</summary>
    [Theory]
    [MemberData(nameof(TwelveBitJpegFiles))]
    public void Twelve_bit_frames_are_identical_to_dcmdjpeg(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var reference = Path.Combine(Path.GetTempPath(), "smed-djpeg-" + Guid.NewGuid().ToString("N") + ".dcm");
        var r = ExternalTool.Run("dcmdjpeg", [src, reference]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        ReferenceFrames.AssertMatch(rel, src, reference, maxDifference: 0);
    }

    [Fact]
    public void The_12_bit_files_are_in_the_corpus() => Assert.True(TwelveBitJpegFiles().Count >= 3);

    /// <summary>Our DCT decoder on 8-bit streams without subsampling, against libjpeg-turbo's accurate DCT: the same
    /// integer IDCT, so the same samples.</summary>
    [Theory]
    [MemberData(nameof(EightBitJpegFiles))]
    public void Own_dct_decoder_equals_libjpeg_turbo_on_8_bit_streams(string rel)
    {
        var file = DicomFile.Open(Corpus.Get(rel).FullPath);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var fragments = Assert.IsType<DicomFragmentSequence>(file.Dataset[info.PixelTag]);
        var jpeg = EncapsulatedFrames.GetFrame(fragments, 0, info.NumberOfFrames);
        byte[] ours;
        try
        {
            ours = new Codecs.JpegDctCodec().DecodeFrame(info, jpeg);
        }
        catch (PixelDataException e) when (e.Code == "unsupported-transfer-syntax")
        {
            Assert.Contains("subsampled", e.Message); // the one mode we leave to libjpeg-turbo
            return;
        }

        var theirs = new Codecs.TurboJpegCodec().DecodeFrame(info, info.SamplesPerPixel == 3 && info.Photometric == "RGB" ? Codecs.TurboJpegCodec.WithoutColorTransform(jpeg) : jpeg);
        Assert.Equal(theirs.Length, ours.Length);
        var differing = Enumerable.Range(0, ours.Length).Count(i => Math.Abs(ours[i] - theirs[i]) > 1);
        Assert.True(differing == 0, $"{rel}: {differing} samples differ by more than 1");
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void Truncated_12_bit_stream_decodes_without_reading_past_its_end_and_a_broken_header_names_the_problem()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom/JPGExtended.dcm").FullPath);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var jpeg = EncapsulatedFrames.GetFrame(Assert.IsType<DicomFragmentSequence>(file.Dataset[info.PixelTag]), 0, 1);
        var e = Assert.Throws<PixelDataException>(() => new Codecs.JpegDctCodec().DecodeFrame(info, jpeg[..(jpeg.Length / 2)]));
        Assert.Equal("bad-jpeg", e.Code);
        Assert.Contains("EOI", e.Message);
        var badHeader = (byte[])jpeg.Clone();
        var sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC1);
        badHeader[sof + 4] = 7; // precision 7
        e = Assert.Throws<PixelDataException>(() => new Codecs.JpegDctCodec().DecodeFrame(info, badHeader));
        Assert.Contains("7 bits", e.Message);
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
