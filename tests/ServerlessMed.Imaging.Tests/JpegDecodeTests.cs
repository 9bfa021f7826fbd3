using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>JPEG frames decoded through libturbojpeg against DCMTK's dcmdjpeg (an independent libjpeg build) on the
/// same files: lossy JPEG may differ by rounding, so at most 1 per sample. YBR_FULL and YBR_FULL_422 frames stay YCbCr
/// (the reference is <c>dcmdjpeg +cn</c>, which keeps the colour space), as the native YBR path gives them.</summary>
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
        var ybr = Corpus.Get(rel).Photometric.StartsWith("YBR_FULL", StringComparison.Ordinal);
        var r = ExternalTool.Run("dcmdjpeg", ybr ? ["+cn", src, reference] : [src, reference]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        if (ybr)
        {
            // The reference holds native YCbCr; both sides' values are compared as stored.
            Assert.Contains("YBR_FULL", ExternalTool.Run("dcmdump", ["-q", "+P", "0028,0004", reference]).StdOut, StringComparison.Ordinal);
        }

        ReferenceFrames.AssertMatch(rel, src, reference, maxDifference: 1);
    }

    public static TheoryData<string> YbrJpegFiles() =>
    [
        .. Corpus.WellFormed.Where(f => f.TransferSyntaxUid is "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" && f.Photometric is "YBR_FULL" or "YBR_FULL_422")
            .Select(f => f.RelativePath),
    ];

    [Fact]
    public void The_corpus_has_ybr_jpeg_files_with_and_without_subsampling()
    {
        var photometrics = YbrJpegFiles().Select(row => Corpus.Get(row.Data).Photometric).ToHashSet();
        Assert.Equal(["YBR_FULL", "YBR_FULL_422"], photometrics.Order(StringComparer.Ordinal));
    }

    /// <summary>The same image in a JPEG and in native YBR (DCMTK's <c>dcmdjpeg +cn</c>): the same stored values, and
    /// the decoder says they are YBR_FULL (4:2:2 upsampled); rendering converts them, and gives the RGB that dcmdjpeg's
    /// own conversion gives (within one: IJG converts in fixed point).</summary>
    [Theory]
    [MemberData(nameof(YbrJpegFiles))]
    public void Ybr_frames_stay_ycbcr_and_render_as_the_rgb_dcmdjpeg_converts_them_to(string rel)
    {
        var src = Corpus.Get(rel).FullPath;
        var file = DicomFile.Open(src);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var stored = FrameDecoder.DecodeStored(file.Dataset, file.TransferSyntax, 0);
        Assert.Equal(info.Photometric == "YBR_FULL_422" ? "YBR_FULL" : null, stored.Photometric);

        var rgb = Path.Combine(Path.GetTempPath(), "smed-djpeg-rgb-" + Guid.NewGuid().ToString("N") + ".dcm");
        try
        {
            var r = ExternalTool.Run("dcmdjpeg", [src, rgb]); // default: YCbCr converted to RGB
            Assert.True(r.ExitCode == 0, r.StdErr);
            var reference = DicomFile.Open(rgb);
            Assert.Equal("RGB", reference.Dataset.GetString(DicomTag.PhotometricInterpretation));
            var theirs = FrameDecoder.Decode(reference.Dataset, reference.TransferSyntax, 0).Values;
            var ours = Renderer.Render(file.Dataset, FrameDecoder.Decode(file.Dataset, file.TransferSyntax, 0)).Pixels;
            Assert.Equal(theirs.Length, ours.Length);
            var worst = Enumerable.Range(0, ours.Length).Max(i => Math.Abs(ours[i] - theirs[i]));
            Assert.True(worst <= 1, $"{rel}: rendered RGB differs from dcmdjpeg's by up to {worst}");
        }
        finally
        {
            File.Delete(rgb);
        }
    }

    /// <summary>An RGB-labelled JPEG whose only colour marker is an APP14 too short to be Adobe's, and whose component
    /// ids (1, 2, 3) would make libjpeg guess YCbCr: the header's RGB wins, as DCMTK decodes it, in both our decoders.</summary>
    [Fact]
    public void An_rgb_jpeg_with_a_short_app14_segment_is_decoded_as_rgb()
    {
        var file = DicomFile.Open(Corpus.Get("pydicom/SC_rgb_dcmtk_+eb+cr.dcm").FullPath);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var fragments = Assert.IsType<DicomFragmentSequence>(file.Dataset[info.PixelTag]);
        var jpeg = EncapsulatedFrames.GetFrame(fragments, 0, 1);
        var original = new Codecs.TurboJpegCodec().DecodeFrame(info, jpeg);

        var broken = WithShortApp14AndNumericIds(jpeg);
        Assert.False(Codecs.JpegColorSpace.Read(broken).SayAnything);
        var path = Path.Combine(Path.GetTempPath(), "smed-app14-" + Guid.NewGuid().ToString("N") + ".dcm");
        var reference = path + ".djpeg.dcm";
        try
        {
            var copy = DicomFile.Open(Corpus.Get("pydicom/SC_rgb_dcmtk_+eb+cr.dcm").FullPath);
            var sq = new DicomFragmentSequence(DicomTag.PixelData, DicomVR.OB);
            sq.Fragments.Add(DicomBuffer.FromBytes(broken.Length % 2 == 0 ? broken : [.. broken, 0]));
            copy.Dataset.AddOrUpdate(sq);
            copy.Save(path);
            var ours = FrameDecoder.DecodeStored(DicomFile.Open(path).Dataset, copy.TransferSyntax, 0).Bytes;
            Assert.Equal(original, ours);
            var own = new Codecs.JpegDctCodec().DecodeFrame(info, broken);
            Assert.True(Enumerable.Range(0, own.Length).All(i => Math.Abs(own[i] - original[i]) <= 1), "our DCT decoder converts colour too");

            var r = ExternalTool.Run("dcmdjpeg", [path, reference]);
            Assert.True(r.ExitCode == 0, r.StdErr);
            ReferenceFrames.AssertMatch("short APP14", path, reference, maxDifference: 1);
        }
        finally
        {
            File.Delete(path);
            File.Delete(reference);
        }
    }

    /// <summary>The stream with its Adobe APP14 replaced by an 8-byte APP14 (libjpeg needs 12 bytes of data) and its frame
    /// header's component ids set to 1, 2, 3.</summary>
    private static byte[] WithShortApp14AndNumericIds(byte[] jpeg)
    {
        var result = new List<byte> { 0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x08, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00 };
        var i = 2;
        var sawAdobe = false;
        while (jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA)
        {
            var length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            var segment = jpeg.AsSpan(i, 2 + length).ToArray();
            if (jpeg[i + 1] == 0xEE)
            {
                sawAdobe = true;
            }
            else
            {
                if (jpeg[i + 1] is 0xC0 or 0xC1)
                {
                    for (var c = 0; c < segment[9]; c++)
                    {
                        Assert.Equal("RGB"[c], (char)segment[10 + (c * 3)]);
                        segment[10 + (c * 3)] = (byte)(c + 1);
                    }
                }

                result.AddRange(segment);
            }

            i += 2 + length;
        }

        Assert.True(sawAdobe, "the DCMTK RGB test file has an Adobe marker");
        var rest = jpeg.AsSpan(i).ToArray();
        for (var c = 0; c < rest[4]; c++)
        {
            // The scan header names the components by id too: 'R', 'G', 'B' become 1, 2, 3.
            rest[5 + (c * 2)] = rest[5 + (c * 2)] switch { (byte)'R' => 1, (byte)'G' => 2, (byte)'B' => 3, var id => id };
        }

        result.AddRange(rest);
        return [.. result];
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
        Assert.Equal("YBR_FULL", frame.Photometric); // 4:2:2 upsampled, not converted: the renderer converts
        var image = Renderer.Render(file.Dataset, frame);
        Assert.Equal(3, image.Channels);
        // The DCMTK test image is a red/green/blue/white bar pattern: its first pixel is pure red.
        Assert.True(image.Pixels[0] > 200 && image.Pixels[1] < 60 && image.Pixels[2] < 60, $"first pixel {image.Pixels[0]},{image.Pixels[1]},{image.Pixels[2]}");
    }
}
