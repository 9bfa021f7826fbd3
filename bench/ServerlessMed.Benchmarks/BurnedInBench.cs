using System.Diagnostics;
using System.Globalization;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Benchmarks;

/// <summary>What burned-in text detection costs: each case de-identified (and written to memory) under the default
/// policy (OCR on US/SC/XA/RF/ES/OT/DOC) and with <c>burnedIn.detect: none</c>, best of REPEATS; CPU time of this
/// process (OCR runs on one thread, so CPU time is its cost even on a machine others share) and wall time. Cases:
/// text-free speckle frames the bench builds at several sizes, and the corpus ultrasound images, most of which carry
/// real burned-in text.</summary>
internal static class BurnedInBench
{
    private static readonly TenantKey Key = new([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    public static int Run(int repeats)
    {
        var withOcr = new Deidentifier(Key, DeidPolicy.Default);
        var without = new Deidentifier(Key, DeidPolicy.Parse("""{"burnedIn": {"detect": "none"}}"""));
        var cases = new List<(string Name, byte[] Bytes)>();
        foreach (var (w, h, spp, bits) in SpeckleImages.BenchSizes)
        {
            cases.Add(($"speckle {w}x{h} {(spp == 3 ? "RGB" : "MONO2")} {bits}-bit", Bytes(SpeckleImages.Build(w, h, spp, bits))));
        }

        cases.Add(("random noise 512x512 MONO2 16-bit", Bytes(SpeckleImages.Build(512, 512, 1, 16, noise: true))));

        foreach (var rel in new[] { "pydicom/examples_ybr_color.dcm", "dicomParser/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm", "pydicom-data/US1_J2KI.dcm", "pylibjpeg-data/JPEGExtended_3s_1f_u_08_08.dcm", "pydicom/examples_palette.dcm", "pydicom-data/color-pl.dcm" })
        {
            cases.Add((rel, File.ReadAllBytes(Path.Combine(CorpusFiles.Root, rel))));
        }

        // Engines load their model on first use: not part of a steady-state figure.
        withOcr.Deidentify(Open(cases[0].Bytes));
        Console.WriteLine($"{"case",-62} {"size",10} {"frames",6} {"OCR'd",5} {"boxes",5} {"masked",6} {"CPU ms",8} {"wall ms",8} {"ms/frame",8} {"no-OCR ms",9}");
        foreach (var (name, bytes) in cases)
        {
            var file = Open(bytes);
            var size = $"{file.Dataset.GetValueOrDefault(DicomTag.Columns, 0)}x{file.Dataset.GetValueOrDefault(DicomTag.Rows, 0)}";
            var (cpu, wall, audit) = Best(withOcr, bytes, repeats);
            var (cpuBase, _, _) = Best(without, bytes, repeats);
            var b = audit?.BurnedIn;
            var scanned = b?.FramesScanned ?? 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-62} {size,10} {b?.Frames ?? 0,6} {scanned,5} {b?.Boxes.Count ?? 0,5} {(b?.Masked ?? false),6} {cpu,8:0.0} {wall,8:0.0} {(scanned > 0 ? b!.OcrMilliseconds / scanned : 0),8:0.0} {cpuBase,9:0.0}"));
        }

        Console.WriteLine($"tesseract {Imaging.Ocr.TesseractTextDetector.LibraryVersion}, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        return 0;
    }

    private static (double CpuMs, double WallMs, DeidAuditRecord? Audit) Best(Deidentifier deid, byte[] bytes, int repeats)
    {
        double cpu = double.MaxValue, wall = double.MaxValue;
        DeidAuditRecord? audit = null;
        for (var i = 0; i < repeats; i++)
        {
            var file = Open(bytes);
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            try
            {
                var result = deid.Deidentify(file);
                result.File.Save(Stream.Null);
                audit = result.Audit;
            }
            catch (DeidRejectedException)
            {
                audit = null; // quarantined: the time still counts
            }

            wall = Math.Min(wall, clock.Elapsed.TotalMilliseconds);
            process.Refresh();
            cpu = Math.Min(cpu, (process.TotalProcessorTime - cpu0).TotalMilliseconds);
        }

        return (cpu, wall, audit);
    }

    private static DicomFile Open(byte[] bytes) => DicomFile.Open(new MemoryStream(bytes, writable: false));

    private static byte[] Bytes(DicomFile file)
    {
        using var ms = new MemoryStream();
        file.Save(ms);
        return ms.ToArray();
    }
}
