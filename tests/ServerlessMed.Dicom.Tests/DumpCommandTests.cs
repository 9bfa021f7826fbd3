using System.Text;
using System.Text.Json;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Dicom.Tests;

/// <summary><c>smed dump</c> as a user runs it: the JSON model carries every value (no BulkDataURI that points at
/// nothing), pydicom reads it back to the same bytes, and a bad file gets one line that names it once.</summary>
public sealed class DumpCommandTests
{
    [Fact]
    public void Json_writes_values_over_64_KiB_and_pixel_data_inline_and_pydicom_reads_them_back()
    {
        var dir = Directory.CreateTempSubdirectory("smed-dumpjson").FullName;
        try
        {
            var document = new byte[100_001]; // odd: padded to even on writing
            new Random(17).NextBytes(document);
            var pixels = new byte[256 * 256 * 2];
            new Random(18).NextBytes(pixels);
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
            ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, "1.2.3.4.5");
            ds.AddOrUpdate(new DicomElement(DicomTag.EncapsulatedDocument, DicomVR.OB, DicomBuffer.FromBytes(document)));
            ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OW, DicomBuffer.FromBytes(pixels)));
            var native = Path.Combine(dir, "big.dcm");
            new DicomFile(ds).Save(native);

            foreach (var path in new[] { native, Corpus.Get("pydicom/examples_ybr_color.dcm").FullPath })
            {
                var r = Smed.Run(["dump", "--json", path]);
                Assert.True(r.ExitCode == 0, r.StdErr);
                Assert.DoesNotContain("BulkDataURI", r.StdOut, StringComparison.Ordinal);
                var json = Path.Combine(dir, Path.GetFileName(path) + ".json");
                File.WriteAllText(json, r.StdOut);

                // pydicom's from_json on our output gives the file's own bytes (for encapsulated pixel data, the
                // items of its value field, as pydicom holds it).
                var check = ExternalTool.Run(ExternalTool.Python, ["-c", """
                    import json, sys, warnings
                    warnings.simplefilter("ignore")
                    import pydicom
                    ours = pydicom.Dataset.from_json(json.load(open(sys.argv[2])))
                    theirs = pydicom.dcmread(sys.argv[1])
                    for kw in ("EncapsulatedDocument", "PixelData"):
                        if kw in theirs:
                            a, b = getattr(ours, kw), getattr(theirs, kw)
                            assert a.rstrip(b"\0") == b.rstrip(b"\0"), f"{kw}: {len(a)} vs {len(b)} bytes"
                            print(kw, len(a))
                    """, path, json]);
                Assert.True(check.ExitCode == 0, check.StdOut + check.StdErr);
                Assert.Contains("PixelData", check.StdOut, StringComparison.Ordinal);
            }

            using var parsed = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "big.dcm.json")));
            var inline = Convert.FromBase64String(parsed.RootElement.GetProperty("00420011").GetProperty("InlineBinary").GetString()!);
            Assert.Equal(document, inline[..document.Length]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_VR_field_of_two_spaces_is_reported_as_invalid_VR_bytes()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, "1.2.3.4.5");
        ds.AddOrUpdate(DicomTag.PatientName, DicomVR.PN, "Doe^John");
        var bytes = Save(ds);
        var at = bytes.AsSpan().IndexOf(new byte[] { 0x10, 0x00, 0x10, 0x00, (byte)'P', (byte)'N' });
        bytes[at + 4] = (byte)' ';
        bytes[at + 5] = (byte)' ';

        var e = Assert.Throws<DicomFormatException>(() => DicomFile.Open(new MemoryStream(bytes), new DicomReaderOptions { SourceName = "spaces.dcm" }));
        Assert.Contains("invalid VR bytes 0x20 0x20", e.Message, StringComparison.Ordinal);
        Assert.Equal(DicomTag.PatientName, e.Tag);
        Assert.DoesNotContain("length", e.Message, StringComparison.Ordinal);

        var path = Path.Combine(Path.GetTempPath(), $"smed-spaces-{Guid.NewGuid():N}.dcm");
        try
        {
            File.WriteAllBytes(path, bytes);
            var r = Smed.Run(["dump", path]);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("invalid VR bytes 0x20 0x20", r.StdErr, StringComparison.Ordinal);
            Assert.DoesNotContain("Doe", r.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>"smed dump: x.dcm, offset 0: ..." and not "smed dump: x.dcm: x.dcm, offset 0: ...": each failing
    /// command that reads a file names it once, whatever the failure (ours, or the runtime's with its full path).</summary>
    [Fact]
    public void Error_lines_name_the_input_once()
    {
        var dir = Directory.CreateTempSubdirectory("smed-dumperr").FullName;
        try
        {
            var garbage = Path.Combine(dir, "x.dcm");
            File.WriteAllText(garbage, "this is not DICOM at all, but long enough to look at");
            var truncated = Path.Combine(dir, "cut.dcm");
            var whole = Save(new DicomDataset().AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, "1.2.3.4.5").AddOrUpdate(DicomTag.PatientName, DicomVR.PN, "Doe^John"));
            File.WriteAllBytes(truncated, whole[..^3]);
            var missing = Path.Combine(dir, "gone.dcm");
            foreach (var (args, name) in new[]
            {
                (new[] { "dump", garbage }, "x.dcm"),
                (["dump", "--json", truncated], "cut.dcm"),
                (["dump", missing], "gone.dcm"),
                (["dump", dir], Path.GetFileName(dir)),
                (["convert", garbage, Path.Combine(dir, "o.dcm")], "x.dcm"),
                (["pixels", truncated, Path.Combine(dir, "o.npy")], "cut.dcm"),
                (["preview", missing, Path.Combine(dir, "o.png")], "gone.dcm"),
            })
            {
                var r = Smed.Run(args);
                Assert.Equal(1, r.ExitCode);
                var line = Assert.Single(r.StdErr.Trim().Split('\n'));
                Assert.StartsWith($"smed {args[0]}: {name}", line, StringComparison.Ordinal);
                Assert.True(CountOf(line, name) == 1, line);
                Assert.DoesNotContain(dir, line, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    private static byte[] Save(DicomDataset ds)
    {
        using var ms = new MemoryStream();
        new DicomFile(ds).Save(ms);
        return ms.ToArray();
    }
}
