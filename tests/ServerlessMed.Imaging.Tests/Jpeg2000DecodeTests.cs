using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>JPEG 2000 and HTJ2K frames decoded through OpenJPEG against the OpenJPEG command line (opj_decompress,
/// raw little-endian planar output) on the same codestreams: identical stored values, lossless or lossy alike
/// (the same decoder must reconstruct the same samples; this checks our interop, layout and interleaving).</summary>
public sealed class Jpeg2000DecodeTests
{
    public static TheoryData<string> Jpeg2000Files() =>
    [
        .. Corpus.WellFormed.Where(f => f.TransferSyntaxUid is "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" or "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203")
            .Select(f => f.RelativePath),
    ];

    [Theory]
    [MemberData(nameof(Jpeg2000Files))]
    public void Frames_are_identical_to_opj_decompress(string rel)
    {
        var file = DicomFile.Open(Corpus.Get(rel).FullPath);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var fragments = (DicomFragmentSequence)file.Dataset[info.PixelTag]!;
        for (var f = 0; f < info.NumberOfFrames; f++)
        {
            var stream = EncapsulatedFrames.GetFrame(fragments, f, info.NumberOfFrames);
            var isJp2 = stream.Length > 8 && stream[4] == 'j' && stream[5] == 'P';
            var src = Path.Combine(Path.GetTempPath(), $"smed-opj-{Guid.NewGuid():N}.{(isJp2 ? "jp2" : "j2k")}");
            var raw = Path.ChangeExtension(src, ".rawl");
            File.WriteAllBytes(src, stream);
            var r = ExternalTool.Run("opj_decompress", ["-i", src, "-o", raw]);
            if (r.ExitCode != 0 || !File.Exists(raw))
            {
                // A codestream the reference cannot decode either (pydicom's file with delimiter bytes written over
                // its SIZ marker): ours must refuse it with a clear error, not return pixels.
                var e = Assert.Throws<PixelDataException>(() => FrameDecoder.Decode(file.Dataset, file.TransferSyntax, f));
                Assert.Equal("bad-jpeg2000", e.Code);
                continue;
            }

            var ours = FrameDecoder.Decode(file.Dataset, file.TransferSyntax, f);
            var bytes = File.ReadAllBytes(raw);
            var pixels = info.Rows * info.Columns;
            var bytesPerSample = bytes.Length / (pixels * info.SamplesPerPixel);
            for (var i = 0; i < pixels * info.SamplesPerPixel; i++)
            {
                // opj_decompress writes component planes; ours are interleaved.
                var c = i % info.SamplesPerPixel;
                var p = i / info.SamplesPerPixel;
                var at = ((c * pixels) + p) * bytesPerSample;
                double expected = bytesPerSample == 1
                    ? (info.PixelRepresentation == 1 ? (sbyte)bytes[at] : bytes[at])
                    : (info.PixelRepresentation == 1 ? BitConverter.ToInt16(bytes, at) : BitConverter.ToUInt16(bytes, at));
                // Stored values: the low BitsStored bits (the dataset's Pixel Representation decides their sign, as
                // pydicom's J2K correction does when the codestream's signedness disagrees).
                var mask = (1L << info.BitsStored) - 1;
                if (((long)ours.Values[i] & mask) != ((long)expected & mask))
                {
                    Assert.Fail($"{rel} frame {f} sample {i}: ours {ours.Values[i]}, opj_decompress {expected}");
                }
            }

            File.Delete(src);
            File.Delete(raw);
        }
    }
}
