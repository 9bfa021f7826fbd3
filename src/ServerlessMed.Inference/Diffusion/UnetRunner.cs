using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>Runs the UNet for one denoising loop through an <see cref="OrtIoBinding"/>: the text conditioning is bound
/// once (copied to the device once when the session runs on CUDA) and the sample, timestep and output buffers are
/// allocated once and reused every step instead of per call.</summary>
internal sealed class UnetRunner : IDisposable
{
    private readonly DiffusionModel _model;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _hidden;
    private readonly float[]? _sampleBuffer;
    private readonly OrtValue? _sampleValue;
    private readonly float[] _outputBuffer;
    private readonly OrtValue? _outputValue;
    private readonly long[] _sampleShape;

    public UnetRunner(DiffusionModel model, float[] hidden, long[] hiddenShape, int batch)
    {
        _model = model;
        _binding = model.Unet.CreateIoBinding();
        _hidden = TensorIO.FromFloats(hidden, hiddenShape, model.HiddenType);
        _binding.BindInput(model.UnetHiddenInput, _hidden);
        _sampleShape = [batch, model.LatentChannels, model.LatentSize, model.LatentSize];
        var length = (int)(_sampleShape[0] * _sampleShape[1] * _sampleShape[2] * _sampleShape[3]);
        _outputBuffer = new float[length];
        if (model.SampleType == TensorElementType.Float)
        {
            // fp32 models: pinned views over reusable managed buffers. fp16 models convert per step (TensorIO).
            _sampleBuffer = new float[length];
            _sampleValue = OrtValue.CreateTensorValueFromMemory(_sampleBuffer, _sampleShape);
            _outputValue = OrtValue.CreateTensorValueFromMemory(_outputBuffer, _sampleShape);
        }
    }

    public float[] Run(float[] sample, float timestep)
    {
        using var t = TensorIO.FromFloats([timestep], [1], _model.TimestepType);
        _binding.BindInput(_model.UnetTimestepInput, t);
        OrtValue? converted = null;
        try
        {
            if (_sampleValue is not null)
            {
                sample.CopyTo(_sampleBuffer!, 0);
                _binding.BindInput(_model.UnetSampleInput, _sampleValue);
                _binding.BindOutput(_model.UnetOutput, _outputValue!);
                _model.Unet.RunWithBinding(_runOptions, _binding);
                _binding.SynchronizeBoundOutputs();
                return _outputBuffer;
            }

            converted = TensorIO.FromFloats(sample, _sampleShape, _model.SampleType);
            _binding.BindInput(_model.UnetSampleInput, converted);
            _binding.BindOutputToDevice(_model.UnetOutput, OrtMemoryInfo.DefaultInstance);
            _model.Unet.RunWithBinding(_runOptions, _binding);
            using var outputs = _binding.GetOutputValues();
            var values = TensorIO.ToFloats(outputs[0]);
            values.CopyTo(_outputBuffer, 0);
            return _outputBuffer;
        }
        finally
        {
            converted?.Dispose();
        }
    }

    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _hidden.Dispose();
        _sampleValue?.Dispose();
        _outputValue?.Dispose();
    }
}
