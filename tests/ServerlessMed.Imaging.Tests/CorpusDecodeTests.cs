using System.Text;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Imaging.Tests;

/// <summary>Every well-formed corpus file that has pixel data, every frame. Native, deflated and RLE files are
/// compared with pydicom's <c>pixel_array</c> in one Python process (the same bytes <c>smed pixels</c> writes);
/// compressed syntaxes are compared with the native tools in their own test classes (JpegDecodeTests,
/// JpegLsDecodeTests, Jpeg2000DecodeTests), and here every one of them must at least decode.</summary>
public sealed class CorpusDecodeTests
{
    private static readonly string[] PydicomSyntaxes =
    [
        "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5",
    ];

    /// <summary>Files whose pixel attributes are invalid, with the error we must give instead of a guess.</summary>
    private static readonly Dictionary<string, string> Invalid = new(StringComparer.Ordinal)
    {
        ["pydicom/badVR.dcm"] = "Number of Frames", // IS "1A": 6000 bytes could be 15 frames, we do not guess
        ["pydicom/JPEG2000-embedded-sequence-delimiter.dcm"] = "JPEG 2000 header", // codestream bytes overwritten; opj_decompress and gdcmconv refuse it too
    };

    private static IEnumerable<CorpusFile> WithPixels => Corpus.WellFormed.Where(f => f.BitsAllocated.Length > 0 && HasPixelData(f.FullPath));

    [Fact]
    public void Native_and_rle_files_equal_pydicom_pixel_array()
    {
        var dir = Directory.CreateTempSubdirectory("smed-corpus-px-").FullName;
        try
        {
            var list = new StringBuilder();
            var files = WithPixels.Where(f => PydicomSyntaxes.Contains(f.TransferSyntaxUid) && !Invalid.ContainsKey(f.RelativePath)).ToList();
            Assert.True(files.Count >= 40, $"only {files.Count} native/RLE files found");
            foreach (var f in files)
            {
                var file = DicomFile.Open(f.FullPath);
                var info = PixelDataInfo.FromDataset(file.Dataset);
                var frames = Enumerable.Range(0, info.NumberOfFrames).Select(i => FrameDecoder.DecodeStored(file.Dataset, file.TransferSyntax, i)).ToList();
                var npy = Path.Combine(dir, f.RelativePath.Replace('/', '_') + ".npy");
                File.WriteAllBytes(npy, StoredValuesArray.ToNpy(frames));

                // pydicom 2.3 reads 8-bit OW pixel data in big-endian files without swapping its words (DCMTK and the
                // little-endian twin of the same image swap them); the reference for big endian is DCMTK's conversion
                // to little endian, read by pydicom.
                var reference = f.FullPath;
                if (f.TransferSyntaxUid == "1.2.840.10008.1.2.2")
                {
                    reference = Path.Combine(dir, Path.GetFileName(f.FullPath) + ".le.dcm");
                    var c = ExternalTool.Run("dcmconv", ["+te", f.FullPath, reference]);
                    Assert.True(c.ExitCode == 0, c.StdErr);
                }

                list.Append(reference).Append('\t').Append(npy).Append('\n');
            }

            var listFile = Path.Combine(dir, "list.tsv");
            File.WriteAllText(listFile, list.ToString());
            var r = ExternalTool.Run("/usr/bin/python3", [Path.Combine(Corpus.RepoRoot, "tests", "tools", "compare_npy_batch.py"), listFile], timeoutMs: 300_000);
            var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(files.Count, lines.Length);
            Assert.True(r.ExitCode == 0, string.Join('\n', lines.Where(l => !l.Contains("\tok\t", StringComparison.Ordinal))) + r.StdErr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static TheoryData<string> AllFilesWithPixels() => [.. WithPixels.Select(f => f.RelativePath)];

    [Theory]
    [MemberData(nameof(AllFilesWithPixels))]
    public void Every_frame_of_every_file_decodes_or_fails_naming_the_problem(string rel)
    {
        var file = DicomFile.Open(Corpus.Get(rel).FullPath);
        if (Invalid.TryGetValue(rel, out var expected))
        {
            var e = Assert.Throws<PixelDataException>(() => FrameDecoder.Decode(file.Dataset, file.TransferSyntax, 0));
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            return;
        }

        var info = PixelDataInfo.FromDataset(file.Dataset);
        for (var i = 0; i < info.NumberOfFrames; i++)
        {
            var frame = FrameDecoder.Decode(file.Dataset, file.TransferSyntax, i);
            Assert.Equal(info.Rows * info.Columns * info.SamplesPerPixel, frame.Values.Length);
        }
    }

    [Fact]
    public void Double_samples_keep_every_bit()
    {
        // A float carries 24 significant bits: doubles (and 32-bit integers, in the pydicom comparison above) must not
        // pass through one on their way to an array or a transcoded file.
        var doubles = DicomFile.Open(Corpus.Get("pydicom-data/parametric_map_double_float.dcm").FullPath);
        var stored = FrameDecoder.DecodeStored(doubles.Dataset, doubles.TransferSyntax, 0);
        var raw = new byte[stored.Bytes.Length];
        ((DicomElement)doubles.Dataset[DicomTag.DoubleFloatPixelData]!).Buffer.ReadRange(0, raw);
        Assert.Equal(raw, stored.Bytes);
    }

    /// <summary>Deflated Image Frame Compression (new in 2024; neither Debian's pydicom nor DCMTK reads it): each frame
    /// against Python's own zlib inflating the same fragment and numpy unpacking its bits, and against pydicom's
    /// pixel_array of the native twin of the same segmentation (liver.dcm).</summary>
    [Fact]
    public void Deflated_frames_equal_python_zlib_and_the_native_twin()
    {
        var src = Corpus.Get("pydicom-data/liver_deflate.dcm").FullPath;
        var file = DicomFile.Open(src);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var npy = Path.Combine(Path.GetTempPath(), $"smed-deflate-{Guid.NewGuid():N}.npy");
        File.WriteAllBytes(npy, StoredValuesArray.ToNpy([.. Enumerable.Range(0, info.NumberOfFrames).Select(i => FrameDecoder.DecodeStored(file.Dataset, file.TransferSyntax, i))]));
        var r = ExternalTool.Run("/usr/bin/python3", [Path.Combine(Corpus.RepoRoot, "tests", "tools", "deflated_reference.py"), src, npy, Corpus.Get("pydicom-data/liver.dcm").FullPath]);
        File.Delete(npy);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
    }

    private static bool HasPixelData(string path)
    {
        var ds = DicomFile.Open(path).Dataset;
        return ds.Contains(DicomTag.PixelData) || ds.Contains(DicomTag.FloatPixelData) || ds.Contains(DicomTag.DoubleFloatPixelData);
    }
}
