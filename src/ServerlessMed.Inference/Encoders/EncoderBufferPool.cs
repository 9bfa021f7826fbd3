using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ServerlessMed.Inference.Encoders;

/// <summary>Input and output buffers for one batch size, with the <see cref="OrtValue"/>s that pin them for the
/// session: created once, reused by every run of that size (on CUDA, ORT copies pinned host memory without staging).</summary>
internal sealed class EncoderBuffers : IDisposable
{
    public EncoderBuffers(int size, float[] input, OrtValue? inputValue, float[][] outputs, OrtValue[]? outputValues)
    {
        Size = size;
        Input = input;
        InputValue = inputValue;
        Outputs = outputs;
        OutputValues = outputValues;
    }

    public int Size { get; }

    public float[] Input { get; }

    public OrtValue? InputValue { get; }

    public float[][] Outputs { get; }

    public OrtValue[]? OutputValues { get; }

    /// <summary>True when the session runs straight over these buffers (float32 input and outputs of known shape).</summary>
    public bool IsBound => InputValue is not null && OutputValues is not null;

    public void Dispose()
    {
        InputValue?.Dispose();
        foreach (var v in OutputValues ?? [])
        {
            v.Dispose();
        }
    }
}

/// <summary>Per-batch-size pools of <see cref="EncoderBuffers"/>; thread-safe, so one encoder serves concurrent
/// callers each with its own buffers.</summary>
internal sealed class EncoderBufferPool(ImageEncoder encoder, InferenceSession session, TensorElementType inputType) : IDisposable
{
    private const int MaxPooledPerSize = 4;
    private readonly ConcurrentDictionary<int, ConcurrentBag<EncoderBuffers>> _free = new();

    public EncoderBuffers Rent(int n) =>
        _free.TryGetValue(n, out var bag) && bag.TryTake(out var buffers) ? buffers : Create(n);

    public void Return(EncoderBuffers buffers)
    {
        var bag = _free.GetOrAdd(buffers.Size, _ => []);
        if (bag.Count < MaxPooledPerSize)
        {
            bag.Add(buffers);
        }
        else
        {
            buffers.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var bag in _free.Values)
        {
            while (bag.TryTake(out var b))
            {
                b.Dispose();
            }
        }
    }

    private EncoderBuffers Create(int n)
    {
        var input = new float[n * encoder.InputLength];
        var outputs = new float[encoder.Manifest.Outputs.Count][];
        var shapes = new long[outputs.Length][];
        var bindable = inputType == TensorElementType.Float;
        for (var o = 0; o < outputs.Length && bindable; o++)
        {
            var meta = session.OutputMetadata[encoder.Manifest.Outputs[o].Name];
            var dims = meta.Dimensions;
            if (meta.ElementDataType != TensorElementType.Float || dims.Length == 0 || dims.Skip(1).Any(d => d <= 0))
            {
                bindable = false; // fp16 or symbolic non-batch dims: let ORT allocate the outputs
                break;
            }

            shapes[o] = [n, .. dims.Skip(1).Select(d => (long)d)];
            outputs[o] = new float[shapes[o].Aggregate(1L, (a, b) => a * b)];
        }

        if (!bindable)
        {
            return new EncoderBuffers(n, input, null, [], null);
        }

        var inputValue = OrtValue.CreateTensorValueFromMemory(input, encoder.InputShape(n));
        var outputValues = outputs.Select((buffer, o) => OrtValue.CreateTensorValueFromMemory(buffer, shapes[o])).ToArray();
        return new EncoderBuffers(n, input, inputValue, outputs, outputValues);
    }
}
