using System.CommandLine;
using System.Globalization;
using ServerlessMed.Files;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Workflow;
using ServerlessMed.Workflow.Encoding;
using ServerlessMed.Workflow.Local;
using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed embed IN OUT --model DIR: embeddings of every frame of a DICOM file or of a folder's files.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "DICOM file or folder (recursive)" };
        var output = new Argument<DirectoryInfo>("out") { Description = "output folder: {sop}_{output}.npy (frames × the output's shape) per model output + {sop}.json (model id and SHA-256, shapes, preprocessing)" };
        var model = new Option<DirectoryInfo>("--model") { Description = "encoder folder (model.json + ONNX)", Required = true };
        var batch = new Option<int>("--batch") { Description = "frames per inference batch", DefaultValueFactory = _ => 8 };
        var saveInput = new Option<bool>("--save-input") { Description = "also write the preprocessed input tensors ({sop}.input.npy, frames × the input's shape)" };
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "Auto (CUDA, else CPU), Cuda, Cpu", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var cmd = new Command("embed", "Encode DICOM frames into embeddings with an ONNX image encoder described by model.json") { input, output, model, batch, saveInput, provider };
        cmd.SetAction(parse =>
        {
            var inPath = parse.GetValue(input)!;
            IReadOnlyList<string> files = File.Exists(inPath) ? [inPath] : Directory.Exists(inPath) ? [.. Directory.EnumerateFiles(inPath, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)] : [];
            if (files.Count == 0)
            {
                return CliEnvironment.Fail("embed", $"'{inPath}' is not a file or a folder with files");
            }

            var folder = parse.GetValue(model)!.FullName;
            ImageEncoder loaded;
            try
            {
                loaded = new ImageEncoder(folder, new OnnxSessionFactory(new OnnxSessionOptions { Provider = parse.GetValue(provider), IntraOpThreads = 0 }, m => Console.Error.WriteLine($"smed embed: {m}")));
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                return CliEnvironment.Fail("embed", e.Message);
            }

            using var encoder = loaded;
            var outDir = parse.GetValue(output)!.FullName;
            var batcher = new EncoderBatcher(encoder, new EncoderBatchingOptions { MaxBatchSize = Math.Clamp(parse.GetValue(batch), 1, 1024), Window = TimeSpan.Zero });
            var workflow = new InstanceWorkflow(null, new InstanceEncoding(batcher) { KeepInputs = parse.GetValue(saveInput), Chunk = Math.Clamp(parse.GetValue(batch), 1, 1024) });
            int embedded = 0, noPixels = 0, failed = 0, frames = 0;
            try
            {
                // The same workflow as smed deid and ingest, without de-identification: the files are encoded as they are.
                using var local = new LocalFolder(outDir, quarantineDir: null, workers: 1, auditLog: false);
                using var writer = new AtomicFileWriter();
                var sink = new LocalFolderSink(local, writer);
                for (var i = 0; i < files.Count; i++)
                {
                    var r = workflow.RunAsync(new WorkflowInput($"#{i + 1}", (long)i << 32, files[i]), sink).GetAwaiter().GetResult();
                    switch (r.Outcome)
                    {
                        case InstanceOutcome.Quarantined:
                            // Inputs are named by position: file names may hold PHI.
                            Console.Error.WriteLine($"smed embed: input {r.Input}: {r.Quarantine!.Code.WireName()}: {r.Quarantine.Message}");
                            failed++;
                            break;
                        case InstanceOutcome.NoPixels:
                            Console.Error.WriteLine($"smed embed: input {r.Input}: no pixel data, nothing to embed");
                            noPixels++;
                            break;
                        default:
                            embedded++;
                            frames += r.Frames;
                            break;
                    }
                }
            }
            finally
            {
                batcher.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""{"inputs":{{files.Count}},"embedded":{{embedded}},"noPixels":{{noPixels}},"failed":{{failed}},"frames":{{frames}},"model":"{{encoder.Manifest.Id}}"}"""));
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
