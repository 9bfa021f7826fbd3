using System.Diagnostics;
using System.Globalization;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

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
        foreach (var (w, h, spp, bits) in new[] { (256, 256, 3, 8), (320, 240, 3, 8), (640, 480, 3, 8), (640, 480, 1, 8), (800, 600, 3, 8), (1024, 768, 3, 8), (512, 512, 1, 16), (1024, 1024, 1, 16) })
        {
            cases.Add(($"speckle {w}x{h} {(spp == 3 ? "RGB" : "MONO2")} {bits}-bit", Speckle(w, h, spp, bits)));
        }

        cases.Add(("random noise 512x512 MONO2 16-bit", Speckle(512, 512, 1, 16, noise: true)));

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

    /// <summary>A US (colour) or OT (16-bit grey) instance of speckle grains on black, without text; and, with
    /// <paramref name="noise"/>, every pixel random (the worst case for OCR: what bench/deid-vs-gdcmanon.sh's large
    /// file holds).</summary>
    private static byte[] Speckle(int columns, int rows, int spp, int bits, bool noise = false)
    {
        var random = new Random(columns + rows + spp);
        var grains = new byte[((columns / 3) + 1) * ((rows / 2) + 1)]; // 3x2-pixel speckle grains, as the tests draw
        random.NextBytes(grains);
        var size = bits / 8;
        var pixels = new byte[columns * rows * spp * size];
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                var inside = Math.Abs(x - (columns / 2.0)) < (y + 20) * 0.7 && y > rows / 6;
                var v = noise ? random.Next(0, 256) : inside ? (grains[((y / 2) * ((columns / 3) + 1)) + (x / 3)] * 0.4) + random.Next(0, 20) : 0;
                for (var s = 0; s < spp; s++)
                {
                    var o = (((y * columns) + x) * spp + s) * size;
                    if (size == 1)
                    {
                        pixels[o] = (byte)v;
                    }
                    else
                    {
                        BitConverter.TryWriteBytes(pixels.AsSpan(o), (ushort)(v * 30));
                    }
                }
            }
        }

        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, spp == 3 ? "1.2.840.10008.5.1.4.1.1.6.1" : "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.10.543.9.{columns}.{rows}.{spp}.{bits}");
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.10.543.9.1");
        ds.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, "1.2.826.0.1.3680043.10.543.9.2");
        ds.AddOrUpdate(DicomTag.Modality, DicomVR.CS, spp == 3 ? "US" : "OT");
        ds.AddOrUpdate<ushort>(DicomTag.SamplesPerPixel, DicomVR.US, (ushort)spp);
        ds.AddOrUpdate(DicomTag.PhotometricInterpretation, DicomVR.CS, spp == 3 ? "RGB" : "MONOCHROME2");
        if (spp == 3)
        {
            ds.AddOrUpdate<ushort>(DicomTag.PlanarConfiguration, DicomVR.US, 0);
        }

        ds.AddOrUpdate<ushort>(DicomTag.Rows, DicomVR.US, (ushort)rows);
        ds.AddOrUpdate<ushort>(DicomTag.Columns, DicomVR.US, (ushort)columns);
        ds.AddOrUpdate<ushort>(DicomTag.BitsAllocated, DicomVR.US, (ushort)bits);
        ds.AddOrUpdate<ushort>(DicomTag.BitsStored, DicomVR.US, (ushort)bits);
        ds.AddOrUpdate<ushort>(DicomTag.HighBit, DicomVR.US, (ushort)(bits - 1));
        ds.AddOrUpdate<ushort>(DicomTag.PixelRepresentation, DicomVR.US, 0);
        ds.AddOrUpdate(new DicomElement(DicomTag.PixelData, bits == 16 ? DicomVR.OW : DicomVR.OB, DicomBuffer.FromBytes(pixels)));
        using var ms = new MemoryStream();
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(ms);
        return ms.ToArray();
    }
}
