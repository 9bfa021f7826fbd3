using System.Diagnostics;
using System.Globalization;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;

namespace ServerlessMed.Benchmarks;

/// <summary>In-process decode throughput per transfer syntax over the corpus files of that syntax: decoded MB/s
/// (rows × columns × samples × bytes per sample of every frame), best of REPEAT passes.</summary>
internal static class DecodeBench
{
    public static int Run(string listFile, int repeat)
    {
        var files = File.ReadAllLines(listFile).Where(l => l.Length > 0).Select(l => l.Split('\t')).GroupBy(f => f[0]);
        foreach (var group in files)
        {
            var paths = group.Select(f => f[1]).ToList();
            var loaded = paths.Select(p => DicomFile.Open(p)).ToList();
            long bytes = 0;
            var best = double.MaxValue;
            for (var r = 0; r < repeat; r++)
            {
                bytes = 0;
                var sw = Stopwatch.StartNew();
                foreach (var file in loaded)
                {
                    var info = PixelDataInfo.FromDataset(file.Dataset);
                    for (var f = 0; f < info.NumberOfFrames; f++)
                    {
                        FrameDecoder.Decode(file.Dataset, file.TransferSyntax, f);
                        bytes += (long)info.Rows * info.Columns * info.SamplesPerPixel * Math.Max(1, info.BitsAllocated / 8);
                    }
                }

                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Key}\t{paths.Count}\t{bytes}\t{best:F4}"));
        }

        return 0;
    }
}
