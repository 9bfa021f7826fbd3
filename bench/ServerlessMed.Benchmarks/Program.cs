using System.Diagnostics;
using BenchmarkDotNet.Running;
using ServerlessMed.Benchmarks;
using ServerlessMed.Dicom;

// Usage:
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- codec        BenchmarkDotNet suite
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- generate MODEL_DIR [STEPS] [REPEATS] [Auto|Cpu|Cuda]
//       pipeline time over raw ONNX session time per scheduler, steps/s, batch 1 vs 4 (bench/generation-glue.sh)
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- embed MODELS_DIR [FRAMES] [REPEATS]
//       embedding stage time over raw ORT on the same tensors, batch 8 over batch 1 (bench/embedding-stage.sh)
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- pipeline-load [COUNT] [MODELS_DIR]
//       COUNT re-stamped instances through Azurite + ingest: instances/s, p50/p95 upload→embedding (bench/pipeline-load.sh)
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- search [COUNT] [DIMS,DIMS] [QUERIES] [EXACT] [CLUSTERS]
//       embedded similarity index (USearch) vs exact brute force: recall@10, p50/p99, rate ratio, build, size (bench/search.sh)
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- burned-in [REPEATS]
//       de-identification with burned-in text OCR over without, per image size; CPU ms/image (bench/burned-in-ocr.sh)
//   dotnet run -c Release --project bench/ServerlessMed.Benchmarks -- convert-all IN_LIST OUT_DIR
//       rewrite every file listed in IN_LIST (one path a line) in one process: our side of bench/codec-vs-dcmconv.sh
if (args.Length > 0 && args[0] == "search")
{
    // search [COUNT] [DIMS,DIMS] [QUERIES] [EXACT_QUERIES] [CLUSTERS] (bench/search.sh)
    int Arg(int i, int d) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : d;
    var dims = args.Length > 2 ? args[2].Split(',').Select(d => int.Parse(d, System.Globalization.CultureInfo.InvariantCulture)).ToList() : [384, 768];
    return SearchBench.Run(Arg(1, 100_000), dims, Arg(3, 1000), Arg(4, 200), Arg(5, 50));
}

if (args.Length > 0 && args[0] == "convert-all")
{
    var files = File.ReadAllLines(args[1]).Where(l => l.Length > 0).ToList();
    Directory.CreateDirectory(args[2]);
    var sw = Stopwatch.StartNew();
    long bytes = 0;
    var i = 0;
    foreach (var f in files)
    {
        var file = DicomFile.Open(f);
        file.Save(Path.Combine(args[2], $"{i++}.dcm"));
        bytes += new FileInfo(f).Length;
    }

    Console.WriteLine($"{files.Count} files, {bytes} bytes, {sw.Elapsed.TotalSeconds:0.000} s in-process");
    return 0;
}

if (args.Length > 0 && args[0] == "burned-in")
{
    return BurnedInBench.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3);
}

if (args.Length > 0 && args[0] == "decode")
{
    // decode LIST [REPEAT]: LIST lines "label<TAB>path"; prints label, files, decoded bytes, best seconds
    return DecodeBench.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
}

if (args.Length > 0 && args[0] == "pipeline-load")
{
    // pipeline-load [COUNT] [MODELS_DIR]
    return await PipelineLoadBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000, args.Length > 2 ? args[2] : Path.Combine(Path.GetDirectoryName(CorpusFiles.Root)!, "..", "main", "models"));
}

if (args.Length > 0 && args[0] == "embed")
{
    // embed MODELS_DIR [FRAMES] [REPEATS]
    return EmbeddingBench.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 64, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5);
}

if (args.Length > 0 && args[0] == "generate")
{
    // generate MODEL_DIR [STEPS] [REPEATS] [PROVIDER]
    return GenerationBench.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 5, args.Length > 4 ? args[4] : "Auto");
}

if (args.Length > 0 && args[0] == "codec")
{
    var summary = BenchmarkRunner.Run<CodecBenchmarks>(args: args[1..]);
    foreach (var report in summary.Reports)
    {
        var seconds = report.ResultStatistics?.Mean / 1e9 ?? double.NaN;
        var mb = CodecBenchmarks.CorpusBytes > 0 ? CodecBenchmarks.CorpusBytes : CorpusFiles.Load().Sum(f => (long)f.Length);
        Console.WriteLine($"{report.BenchmarkCase.Descriptor.WorkloadMethod.Name}: {mb / 1e6 / seconds:0.0} MB/s over {mb / 1e6:0.0} MB");
    }

    return 0;
}

Console.Error.WriteLine("usage: codec [BenchmarkDotNet args] | burned-in [REPEATS] | convert-all LIST OUT_DIR | generate MODEL_DIR [STEPS] [REPEATS] [PROVIDER] | pipeline-load [COUNT] [MODELS_DIR]");
return 2;
