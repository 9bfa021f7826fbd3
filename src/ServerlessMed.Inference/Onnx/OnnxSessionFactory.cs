using Microsoft.ML.OnnxRuntime;

namespace ServerlessMed.Inference.Onnx;

/// <summary>Which execution provider to ask for.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>CUDA when the GPU package and a device are there, else CPU with a log line saying why.</summary>
    Auto,
    Cpu,
    Cuda,
}

public sealed class OnnxSessionOptions
{
    public ExecutionProviderPreference Provider { get; init; } = ExecutionProviderPreference.Cpu;

    public int DeviceId { get; init; }

    /// <summary>cuDNN convolution algorithm search: EXHAUSTIVE (best for steady state), HEURISTIC, DEFAULT.</summary>
    public string CudnnConvAlgoSearch { get; init; } = "HEURISTIC";

    /// <summary>Threads per session on CPU (0 = ORT's default). One keeps results bit-identical across machines.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Let ORT's intra-op threads busy-wait between runs (ORT's default). Off by default here: the pipeline
    /// does its own work between session runs and needs the cores then.</summary>
    public bool AllowSpinning { get; init; }
}

/// <summary>Creates sessions with the preferred provider and reports which one each got (CUDA first, CPU fallback).</summary>
public sealed class OnnxSessionFactory(OnnxSessionOptions options, Action<string>? log = null)
{
    private bool _cudaUnavailable;

    public OnnxSessionOptions Options => options;

    /// <summary>"CUDAExecutionProvider" or "CPUExecutionProvider" for the last session created.</summary>
    public string LastProvider { get; private set; } = "CPUExecutionProvider";

    public InferenceSession Create(string modelPath)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"ONNX model not found: {modelPath}");
        }

        if (options.Provider is ExecutionProviderPreference.Cuda || (options.Provider == ExecutionProviderPreference.Auto && !_cudaUnavailable))
        {
            try
            {
                var cuda = NewOptions();
                using var providerOptions = new OrtCUDAProviderOptions();
                providerOptions.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["cudnn_conv_algo_search"] = options.CudnnConvAlgoSearch,
                    ["arena_extend_strategy"] = "kSameAsRequested",
                });
                cuda.AppendExecutionProvider_CUDA(providerOptions);
                var session = new InferenceSession(modelPath, cuda);
                LastProvider = "CUDAExecutionProvider";
                return session;
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException)
            {
                if (options.Provider == ExecutionProviderPreference.Cuda)
                {
                    throw new InvalidOperationException($"the CUDA execution provider is not available: {e.Message}", e);
                }

                // Said once per factory: the build or the machine lacks CUDA, and every later session would say it again.
                _cudaUnavailable = true;
                log?.Invoke($"CUDA execution provider unavailable ({e.GetType().Name}: {FirstLine(e.Message)}); using CPU");
            }
        }

        LastProvider = "CPUExecutionProvider";
        return new InferenceSession(modelPath, NewOptions());
    }

    private SessionOptions NewOptions()
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (options.IntraOpThreads > 0)
        {
            so.IntraOpNumThreads = options.IntraOpThreads;
        }

        if (!options.AllowSpinning)
        {
            // ORT's intra-op threads spin after each Run by default; on a small machine they then take the cores
            // from the scheduler and image code that runs between UNet calls.
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return so;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
