using BenchmarkDotNet.Attributes;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Benchmarks;

/// <summary>The whole well-formed corpus per operation: header parse (stop before pixel data) and full
/// read + write back. MB/s = corpus bytes / mean time (printed by Program after the run).</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private IReadOnlyList<byte[]> _files = [];
    private static readonly DicomReaderOptions HeaderOnly = new() { StopAtTag = DicomTag.PixelData };

    public static long CorpusBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _files = CorpusFiles.Load();
        CorpusBytes = _files.Sum(f => (long)f.Length);
    }

    [Benchmark]
    public int ParseHeaders()
    {
        var n = 0;
        foreach (var bytes in _files)
        {
            n += DicomFile.Open(new MemoryStream(bytes, writable: false), HeaderOnly).Dataset.Count;
        }

        return n;
    }

    [Benchmark]
    public long ReadAndWrite()
    {
        long n = 0;
        var output = new MemoryStream(1 << 20);
        foreach (var bytes in _files)
        {
            var file = DicomFile.Open(new MemoryStream(bytes, writable: false));
            output.SetLength(0);
            file.Save(output);
            n += output.Length;
        }

        return n;
    }
}
