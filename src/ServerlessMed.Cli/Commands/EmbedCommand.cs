using System.CommandLine;
using System.Globalization;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed embed IN OUT --model DIR: embeddings of every frame of a DICOM file or of a folder's files.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "DICOM file or folder (recursive)" };
        var output = new Argument<DirectoryInfo>("out") { Description = "output folder: {sop}.f{frame}.{output}.npy + {sop}.f{frame}.json" };
        var model = new Option<DirectoryInfo>("--model") { Description = "encoder folder (model.json + ONNX)", Required = true };
        var batch = new Option<int>("--batch") { Description = "frames per inference batch", DefaultValueFactory = _ => 8 };
        var saveInput = new Option<bool>("--save-input") { Description = "also write each frame's preprocessed input tensor ({sop}.f{frame}.input.npy)" };
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
            var embedder = new InstanceEmbedder(encoder, ModelHash.Of(folder), Math.Max(1, parse.GetValue(batch)));
            int written = 0, failed = 0, frames = 0;
            for (var i = 0; i < files.Count; i++)
            {
                try
                {
                    frames += embedder.Embed(DicomFile.Open(files[i], new Dicom.IO.DicomReaderOptions { SourceName = $"input #{i + 1}" }), parse.GetValue(output)!.FullName, parse.GetValue(saveInput));
                    written++;
                }
                catch (Exception e) when (e is DicomException or PixelDataException or IOException)
                {
                    // Inputs are named by position: file names may hold PHI.
                    Console.Error.WriteLine($"smed embed: input #{i + 1}: {(e is PixelDataException p ? p.Code + ": " : string.Empty)}{e.Message}");
                    failed++;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $$"""{"inputs":{{files.Count}},"embedded":{{written}},"failed":{{failed}},"frames":{{frames}},"model":"{{encoder.Manifest.Id}}"}"""));
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
