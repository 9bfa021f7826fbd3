using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Workflow.Encoding;

/// <summary>One model output's embeddings of an instance, built in place as the .npy that is written.</summary>
public sealed record EncodedOutput(EmbeddingDescription Description, NpyFloat32Buffer Npy);

/// <summary>Encodes every frame of an instance through an <see cref="EncoderBatcher"/> (frames preprocessed a batch at
/// a time, so memory stays bounded for large multi-frame instances; runs shared with other instances' frames),
/// writing every output's values straight from the run into its .npy.</summary>
public sealed class InstanceEncoding(EncoderBatcher batcher)
{
    public ImageEncoder Encoder => batcher.Encoder;

    /// <summary>Also keep each frame's preprocessed input tensor (<c>smed embed --save-input</c>).</summary>
    public bool KeepInputs { get; init; }

    /// <summary>Frames preprocessed and queued at once.</summary>
    public int Chunk { get; init; } = 8;

    public static bool HasPixels(DicomDataset ds) =>
        ds.Contains(DicomTag.PixelData) || ds.Contains(DicomTag.FloatPixelData) || ds.Contains(DicomTag.DoubleFloatPixelData);

    public async Task<(IReadOnlyList<EncodedOutput> Outputs, NpyFloat32Buffer? Inputs)> EncodeAsync(DicomFile file, string sop, CancellationToken cancellationToken)
    {
        var ds = file.Dataset;
        var encoder = batcher.Encoder;
        var manifest = encoder.Manifest;
        var frames = PixelDataInfo.FromDataset(ds).NumberOfFrames;
        var pre = manifest.Preprocessing;
        var input = manifest.Input;
        var preprocessing = new EmbeddingPreprocessing(pre.Voi, pre.Resize, pre.Mean, pre.Std, input.Layout, [input.Height, input.Width, input.Channels]);
        var outputs = new EncodedOutput[manifest.Outputs.Count];
        var per = new int[outputs.Length];
        for (var o = 0; o < outputs.Length; o++)
        {
            var output = manifest.Outputs[o];
            int[] shape = [frames, .. output.Shape];
            per[o] = output.Shape.Aggregate(1, (a, b) => a * b);
            outputs[o] = new EncodedOutput(
                new EmbeddingDescription(manifest.Id, manifest.Version, encoder.Sha256, encoder.Provider, output.Name, o, frames, shape, "float32", preprocessing, EmbeddingFiles.Npy(sop, output.Name)),
                new NpyFloat32Buffer(shape));
        }

        NpyFloat32Buffer? inputs = KeepInputs ? new NpyFloat32Buffer([frames, .. input.Layout == "NHWC" ? new[] { input.Height, input.Width, input.Channels } : [input.Channels, input.Height, input.Width]]) : null;
        for (var start = 0; start < frames; start += Chunk)
        {
            var batch = new List<float[]>(Chunk);
            for (var f = start; f < Math.Min(frames, start + Chunk); f++)
            {
                var tensor = encoder.Preprocess(ds, file.TransferSyntax, f);
                if (inputs is not null)
                {
                    tensor.CopyTo(inputs.Values.Slice(f * encoder.InputLength, encoder.InputLength));
                }

                batch.Add(tensor);
            }

            var first = start;
            await batcher.EncodeAsync(batch, (frame, output, values) => values.CopyTo(outputs[output].Npy.Values.Slice((first + frame) * per[output], per[output])), cancellationToken).ConfigureAwait(false);
        }

        return (outputs, inputs);
    }
}
