using Microsoft.ML.OnnxRuntime;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Inference.Encoders;

/// <summary>An image encoder loaded from a model folder: preprocesses DICOM frames as model.json says and runs
/// the ONNX session. The session is shared; Encode is safe to call from several threads.</summary>
public sealed class ImageEncoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Microsoft.ML.OnnxRuntime.Tensors.TensorElementType _inputType;

    public ImageEncoder(string folder, OnnxSessionFactory factory)
    {
        Manifest = EncoderManifest.Load(folder);
        _session = factory.Create(Path.Combine(folder, Manifest.Onnx));
        Provider = factory.LastProvider;
        _inputType = TensorIO.ElementType(_session, Manifest.Input.Name);
        foreach (var o in Manifest.Outputs)
        {
            if (!_session.OutputMetadata.ContainsKey(o.Name))
            {
                throw new InvalidDataException($"model.json names output '{o.Name}' but the ONNX model has: {string.Join(", ", _session.OutputMetadata.Keys)}");
            }
        }
    }

    public EncoderManifest Manifest { get; }

    public string Provider { get; }

    /// <summary>"{id}-v{version}", the folder name of its embeddings in storage.</summary>
    public string ModelKey => $"{Manifest.Id}-v{Manifest.Version}";

    public int InputLength => Manifest.Input.Channels * Manifest.Input.Height * Manifest.Input.Width;

    /// <summary>One frame as the model's input tensor (C×H×W, normalised).</summary>
    public float[] Preprocess(DicomDataset ds, DicomTransferSyntax ts, int frame = 0)
    {
        var decoded = FrameDecoder.Decode(ds, ts, frame);
        var image = Renderer.Render(ds, decoded);
        var input = Manifest.Input;
        var pre = Manifest.Preprocessing;
        var src = new float[image.Pixels.Length];
        for (var i = 0; i < src.Length; i++)
        {
            src[i] = image.Pixels[i] / 255f;
        }

        var resized = Resampler.Bilinear(src, image.Width, image.Height, image.Channels, input.Width, input.Height);
        var plane = input.Width * input.Height;
        var tensor = new float[input.Channels * plane];
        for (var c = 0; c < input.Channels; c++)
        {
            var mean = pre.Mean[Math.Min(c, pre.Mean.Count - 1)];
            var std = pre.Std[Math.Min(c, pre.Std.Count - 1)];
            for (var p = 0; p < plane; p++)
            {
                float v;
                if (image.Channels == input.Channels)
                {
                    v = resized[(p * image.Channels) + c];
                }
                else if (image.Channels == 3)
                {
                    // RGB into a gray model: ITU-R BT.601 luma.
                    v = (0.299f * resized[p * 3]) + (0.587f * resized[(p * 3) + 1]) + (0.114f * resized[(p * 3) + 2]);
                }
                else
                {
                    v = resized[p];
                }

                // NCHW: channel planes; NHWC (TensorFlow exports such as the HAI-DEF models): channels last.
                tensor[Manifest.Input.Layout == "NHWC" ? (p * input.Channels) + c : (c * plane) + p] = (v - mean) / std;
            }
        }

        return tensor;
    }

    /// <summary>Runs a batch of preprocessed inputs; returns each output's values per item.</summary>
    public IReadOnlyList<float[]> Encode(IReadOnlyList<float[]> inputs, string? outputName = null)
    {
        if (inputs.Count == 0)
        {
            return [];
        }

        var n = inputs.Count;
        var batch = new float[n * InputLength];
        for (var i = 0; i < n; i++)
        {
            if (inputs[i].Length != InputLength)
            {
                throw new ArgumentException($"input {i} has {inputs[i].Length} values, the model takes {InputLength}");
            }

            inputs[i].CopyTo(batch, i * InputLength);
        }

        var input = Manifest.Input;
        long[] shape = input.Layout == "NHWC" ? [n, input.Height, input.Width, input.Channels] : [n, input.Channels, input.Height, input.Width];
        using var value = TensorIO.FromFloats(batch, shape, _inputType);
        var output = outputName ?? Manifest.Outputs[0].Name;
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [input.Name], [value], [output]);
        var all = TensorIO.ToFloats(results[0]);
        var per = all.Length / n;
        var list = new float[n][];
        for (var i = 0; i < n; i++)
        {
            list[i] = all.AsSpan(i * per, per).ToArray();
        }

        return list;
    }

    public void Dispose() => _session.Dispose();
}
