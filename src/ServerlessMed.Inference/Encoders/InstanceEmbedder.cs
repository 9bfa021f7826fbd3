using System.Diagnostics;
using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;

namespace ServerlessMed.Inference.Encoders;

/// <summary>Embeds every frame of an instance with one encoder, batching frames, and writes per frame one float32
/// .npy per model output plus a .json sidecar (model id and content hash, UIDs, frame, shapes, preprocessing,
/// timings): <c>{sop}.f{frame}.{output}.npy</c>, <c>{sop}.f{frame}.json</c>.</summary>
public sealed class InstanceEmbedder(ImageEncoder encoder, string modelHash, int batchSize = 8)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the files for one instance into <paramref name="outDir"/>; returns the frames written.
    /// With <paramref name="saveInputs"/> the preprocessed input tensor of each frame is written too (for checks).</summary>
    public int Embed(DicomFile file, string outDir, bool saveInputs = false)
    {
        var ds = file.Dataset;
        var sop = ds.GetSingleValueOrDefault(DicomTag.SOPInstanceUID, string.Empty);
        if (sop.Length == 0 || !DicomUID.IsValid(sop))
        {
            throw new PixelDataException("missing-uid", "the instance has no valid SOP Instance UID to name its embeddings by");
        }

        var frames = Math.Max(1, ds.GetValueOrDefault(DicomTag.NumberOfFrames, 1));
        var manifest = encoder.Manifest;
        Directory.CreateDirectory(outDir);
        for (var start = 0; start < frames; start += batchSize)
        {
            var count = Math.Min(batchSize, frames - start);
            var sw = Stopwatch.StartNew();
            var inputs = Enumerable.Range(start, count).Select(f => encoder.Preprocess(ds, file.TransferSyntax, f)).ToList();
            var preprocessMs = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            encoder.EncodeInto(inputs, (k, o, values) =>
            {
                var output = manifest.Outputs[o];
                using var stream = File.Create(Path.Combine(outDir, $"{sop}.f{start + k}.{output.Name}.npy"));
                NpyWriter.WriteFloat32(stream, values, output.Shape);
            });
            var inferenceMs = sw.Elapsed.TotalMilliseconds;
            for (var k = 0; k < count; k++)
            {
                var frame = start + k;
                if (saveInputs)
                {
                    var i = manifest.Input;
                    int[] shape = i.Layout == "NHWC" ? [i.Height, i.Width, i.Channels] : [i.Channels, i.Height, i.Width];
                    File.WriteAllBytes(Path.Combine(outDir, $"{sop}.f{frame}.input.npy"), NpyWriter.Float32(inputs[k], shape));
                }

                var sidecar = new
                {
                    model = manifest.Id,
                    modelVersion = manifest.Version,
                    modelHash,
                    provider = encoder.Provider,
                    studyInstanceUid = ds.GetSingleValueOrDefault(DicomTag.StudyInstanceUID, string.Empty),
                    seriesInstanceUid = ds.GetSingleValueOrDefault(DicomTag.SeriesInstanceUID, string.Empty),
                    sopInstanceUid = sop,
                    frame,
                    outputs = manifest.Outputs.Select(x => new { x.Name, x.Shape, dtype = "float32" }),
                    preprocessing = new { manifest.Preprocessing.Voi, manifest.Preprocessing.Resize, manifest.Preprocessing.Mean, manifest.Preprocessing.Std, manifest.Input.Layout, size = new[] { manifest.Input.Height, manifest.Input.Width, manifest.Input.Channels } },
                    timingsMs = new { preprocess = preprocessMs / count, inferenceAndWrite = inferenceMs / count, batch = count },
                };
                File.WriteAllText(Path.Combine(outDir, $"{sop}.f{frame}.json"), JsonSerializer.Serialize(sidecar, Json));
            }
        }

        return frames;
    }
}
