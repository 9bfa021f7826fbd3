using Microsoft.ML.OnnxRuntime;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Inference.Encoders;

/// <summary>Receives one item's values of one output of an encoder run (a span valid during the call only).</summary>
public delegate void EmbeddingSink(int item, int output, ReadOnlySpan<float> values);

/// <summary>An image encoder loaded from a model folder: preprocesses DICOM frames as model.json says and runs
/// the ONNX session. The session is shared; Encode is safe to call from several threads.</summary>
public sealed class ImageEncoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Microsoft.ML.OnnxRuntime.Tensors.TensorElementType _inputType;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly EncoderBufferPool _pool;
    private readonly Lazy<string> _sha256;
    private readonly RunOptions _runOptions = new(); // never changed after creation, so shared by concurrent runs

    public ImageEncoder(string folder, OnnxSessionFactory factory)
    {
        Manifest = EncoderManifest.Load(folder);
        var manifestPath = Path.Combine(folder, "model.json");
        var onnx = Path.Combine(folder, Manifest.Onnx);
        if (!File.Exists(onnx))
        {
            throw new FileNotFoundException($"{manifestPath}: $.onnx: '{Manifest.Onnx}' is not in the folder", onnx);
        }

        _session = factory.Create(onnx);
        Provider = factory.LastProvider;
        if (!_session.InputMetadata.ContainsKey(Manifest.Input.Name))
        {
            var names = string.Join(", ", _session.InputMetadata.Keys);
            _session.Dispose();
            throw new InvalidDataException($"{manifestPath}: $.input.name: '{Manifest.Input.Name}' is not an input of {Manifest.Onnx} (it has: {names})");
        }

        _inputType = TensorIO.ElementType(_session, Manifest.Input.Name);
        foreach (var o in Manifest.Outputs)
        {
            if (!_session.OutputMetadata.ContainsKey(o.Name))
            {
                throw new InvalidDataException($"{manifestPath}: $.outputs: '{o.Name}' is not an output of {Manifest.Onnx} (it has: {string.Join(", ", _session.OutputMetadata.Keys)})");
            }

            // Where the model states its per-item output size, model.json's shape must hold exactly that many values.
            var dims = _session.OutputMetadata[o.Name].Dimensions.Skip(1).ToArray();
            var declared = o.Shape.Aggregate(1L, (a, b) => a * b);
            if (dims.Length > 0 && dims.All(d => d > 0) && dims.Aggregate(1L, (a, b) => a * b) != declared)
            {
                throw new InvalidDataException($"{manifestPath}: $.outputs: '{o.Name}' has shape [{string.Join(", ", o.Shape)}] but {Manifest.Onnx} produces [{string.Join(", ", dims)}] per item");
            }
        }

        _inputNames = [Manifest.Input.Name];
        _outputNames = [.. Manifest.Outputs.Select(o => o.Name)];
        _pool = new EncoderBufferPool(this, _session, _inputType);
        _sha256 = new Lazy<string>(() => Diffusion.ModelHash.Of(folder));
    }

    public EncoderManifest Manifest { get; }

    public string Provider { get; }

    /// <summary>"{id}-v{version}", the folder name of its embeddings in storage.</summary>
    public string ModelKey => $"{Manifest.Id}-v{Manifest.Version}";

    /// <summary>SHA-256 of the model folder's files (<see cref="Diffusion.ModelHash"/>), recorded with each embedding.</summary>
    public string Sha256 => _sha256.Value;

    public int InputLength => Manifest.Input.Channels * Manifest.Input.Height * Manifest.Input.Width;

    /// <summary>One frame as the model's input tensor (C×H×W, normalised).</summary>
    public float[] Preprocess(DicomDataset ds, DicomTransferSyntax ts, int frame = 0)
    {
        var decoded = FrameDecoder.Decode(ds, ts, frame);
        var image = Renderer.Render(ds, decoded, frame);
        var input = Manifest.Input;
        var pre = Manifest.Preprocessing;
        var src = new float[image.Pixels.Length];
        for (var i = 0; i < src.Length; i++)
        {
            src[i] = image.Pixels[i] / 255f;
        }

        var resized = pre.Resize == "area"
            ? AreaResampler.Resize(src, image.Width, image.Height, image.Channels, input.Width, input.Height)
            : Resampler.Bilinear(src, image.Width, image.Height, image.Channels, input.Width, input.Height);
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

    /// <summary>Runs a batch of preprocessed inputs; returns one output's values per item.</summary>
    public IReadOnlyList<float[]> Encode(IReadOnlyList<float[]> inputs, string? outputName = null)
    {
        var index = outputName is null ? 0 : Manifest.Outputs.ToList().FindIndex(o => o.Name == outputName);
        if (index < 0)
        {
            throw new ArgumentException($"the model has no output '{outputName}'", nameof(outputName));
        }

        return EncodeAll(inputs)[index];
    }

    /// <summary>Runs a batch of preprocessed inputs through one session run; returns, per model output (in
    /// model.json order), each item's values in arrays of their own.</summary>
    public float[][][] EncodeAll(IReadOnlyList<float[]> inputs)
    {
        var results = new float[Manifest.Outputs.Count][][];
        for (var o = 0; o < results.Length; o++)
        {
            results[o] = new float[inputs.Count][];
        }

        EncodeInto(inputs, (item, output, values) => results[output][item] = values.ToArray());
        return results;
    }

    /// <summary>Runs a batch of preprocessed inputs through one session run and hands every item's value of every
    /// output to <paramref name="sink"/> as a span over the run's own output buffer, valid during the call only.
    /// float32 models run over pinned input and output buffers rented from a pool per batch size, so a
    /// steady-state run allocates nothing: the caller copies values straight to where they go (an .npy being built).</summary>
    public void EncodeInto(IReadOnlyList<float[]> inputs, EmbeddingSink sink)
    {
        var n = inputs.Count;
        if (n == 0)
        {
            return;
        }

        for (var i = 0; i < n; i++)
        {
            if (inputs[i].Length != InputLength)
            {
                throw new ArgumentException($"input {i} has {inputs[i].Length} values, the model takes {InputLength}");
            }
        }

        var buffers = _pool.Rent(n);
        try
        {
            for (var i = 0; i < n; i++)
            {
                inputs[i].CopyTo(buffers.Input, i * InputLength);
            }

            if (buffers.IsBound)
            {
                _session.Run(_runOptions, _inputNames, [buffers.InputValue!], _outputNames, buffers.OutputValues!);
                for (var o = 0; o < _outputNames.Length; o++)
                {
                    Deliver(buffers.Outputs[o], n, o, sink);
                }
            }
            else
            {
                using var value = TensorIO.FromFloats(buffers.Input, InputShape(n), _inputType);
                using var run = _session.Run(_runOptions, _inputNames, [value], _outputNames);
                for (var o = 0; o < _outputNames.Length; o++)
                {
                    Deliver(TensorIO.ToFloats(run[o]), n, o, sink);
                }
            }
        }
        finally
        {
            _pool.Return(buffers);
        }
    }

    /// <summary>The input tensor shape for a batch of <paramref name="n"/> frames, in the model's layout.</summary>
    public long[] InputShape(int n)
    {
        var input = Manifest.Input;
        return input.Layout == "NHWC" ? [n, input.Height, input.Width, input.Channels] : [n, input.Channels, input.Height, input.Width];
    }

    private static void Deliver(ReadOnlySpan<float> all, int n, int output, EmbeddingSink sink)
    {
        var per = all.Length / n;
        for (var i = 0; i < n; i++)
        {
            sink(i, output, all.Slice(i * per, per));
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
