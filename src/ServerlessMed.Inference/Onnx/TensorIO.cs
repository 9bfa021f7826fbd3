using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ServerlessMed.Inference.Onnx;

/// <summary>Builds inputs in the element type a session declares (float, float16, int32, int64) and reads
/// outputs back as float, so models exported in fp16 or with int64 timesteps run unchanged.</summary>
public static class TensorIO
{
    public static TensorElementType ElementType(InferenceSession session, string input) =>
        session.InputMetadata.TryGetValue(input, out var m)
            ? m.ElementDataType
            : throw new InvalidOperationException($"the model has no input '{input}' (it has: {string.Join(", ", session.InputMetadata.Keys)})");

    public static OrtValue FromFloats(float[] data, long[] shape, TensorElementType type) => type switch
    {
        TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(data, shape),
        TensorElementType.Float16 => OrtValue.CreateTensorValueFromMemory(data.Select(f => (Float16)f).ToArray(), shape),
        TensorElementType.Double => OrtValue.CreateTensorValueFromMemory(data.Select(f => (double)f).ToArray(), shape),
        TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(data.Select(f => (long)f).ToArray(), shape),
        TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(data.Select(f => (int)f).ToArray(), shape),
        _ => throw new NotSupportedException($"input element type {type} is not supported"),
    };

    public static OrtValue FromInts(int[] data, long[] shape, TensorElementType type) => type switch
    {
        TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(data, shape),
        TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(data.Select(i => (long)i).ToArray(), shape),
        _ => throw new NotSupportedException($"token input element type {type} is not supported"),
    };

    public static float[] ToFloats(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        return info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Float16 => [.. value.GetTensorDataAsSpan<Float16>().ToArray().Select(h => (float)h)],
            TensorElementType.Double => [.. value.GetTensorDataAsSpan<double>().ToArray().Select(d => (float)d)],
            _ => throw new NotSupportedException($"output element type {info.ElementDataType} is not supported"),
        };
    }

    public static long[] Shape(OrtValue value) => value.GetTensorTypeAndShape().Shape;
}
