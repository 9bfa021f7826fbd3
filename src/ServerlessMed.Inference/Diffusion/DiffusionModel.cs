using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Onnx;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>A latent-diffusion model folder in the layout optimum exports from diffusers. Input and output
/// names, element types and latent geometry are read from the files, not assumed.</summary>
public sealed class DiffusionModel : IDisposable
{
    public DiffusionModel(string folder, OnnxSessionFactory factory)
    {
        if (!File.Exists(Path.Combine(folder, "model_index.json")))
        {
            throw new InvalidDataException($"'{folder}' is not a diffusion model folder: model_index.json is missing");
        }

        foreach (var part in (string[])["scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt", "text_encoder/model.onnx", "unet/model.onnx", "vae_decoder/model.onnx"])
        {
            if (!File.Exists(Path.Combine(folder, part)))
            {
                throw new InvalidDataException($"diffusion model '{Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))}': {part} is missing");
            }
        }

        Folder = folder;
        Id = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        Hash = ModelHash.Of(folder);
        Tokenizer = new ClipTokenizer(Path.Combine(folder, "tokenizer"));
        SchedulerConfig = SchedulerConfig.Load(Path.Combine(folder, "scheduler", "scheduler_config.json"));
        TextEncoder = factory.Create(Path.Combine(folder, "text_encoder", "model.onnx"));
        Unet = factory.Create(Path.Combine(folder, "unet", "model.onnx"));
        VaeDecoder = factory.Create(Path.Combine(folder, "vae_decoder", "model.onnx"));
        var encoderPath = Path.Combine(folder, "vae_encoder", "model.onnx");
        VaeEncoder = File.Exists(encoderPath) ? factory.Create(encoderPath) : null;
        Provider = factory.LastProvider;

        TokenInput = TextEncoder.InputMetadata.Keys.First();
        TokenType = TensorIO.ElementType(TextEncoder, TokenInput);
        TextOutput = TextEncoder.OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : TextEncoder.OutputMetadata.Keys.First();
        UnetSampleInput = Require(Unet, "unet", "sample");
        UnetTimestepInput = Require(Unet, "unet", "timestep");
        UnetHiddenInput = Require(Unet, "unet", "encoder_hidden_states");
        SampleType = TensorIO.ElementType(Unet, UnetSampleInput);
        TimestepType = TensorIO.ElementType(Unet, UnetTimestepInput);
        HiddenType = TensorIO.ElementType(Unet, UnetHiddenInput);
        UnetOutput = Unet.OutputMetadata.Keys.First();
        LatentInput = VaeDecoder.InputMetadata.Keys.First();
        LatentType = TensorIO.ElementType(VaeDecoder, LatentInput);
        ImageOutput = VaeDecoder.OutputMetadata.Keys.First();
        if (VaeEncoder is not null)
        {
            VaeEncoderInput = VaeEncoder.InputMetadata.Keys.First();
            VaeEncoderOutput = VaeEncoder.OutputMetadata.Keys.First();
        }

        var unetConfig = ReadJson(Path.Combine(folder, "unet", "config.json"));
        var dims = Unet.InputMetadata[UnetSampleInput].Dimensions;
        LatentChannels = dims.Length == 4 && dims[1] > 0 ? dims[1] : Int(unetConfig, "in_channels", 4);
        LatentSize = dims.Length == 4 && dims[2] > 0 ? dims[2] : Int(unetConfig, "sample_size", 64);
        var vaeConfig = ReadJson(Path.Combine(folder, "vae_decoder", "config.json"));
        ScalingFactor = vaeConfig is { } v && v.TryGetProperty("scaling_factor", out var sf) ? (float)sf.GetDouble() : 0.18215f;
        var encoderDims = VaeEncoder?.InputMetadata[VaeEncoderInput!].Dimensions;
        ImageSize = encoderDims is { Length: 4 } && encoderDims[2] > 0 ? encoderDims[2] : LatentSize * 8;

        var textDims = TextEncoder.OutputMetadata[TextOutput].Dimensions;
        var unetHidden = Unet.InputMetadata[UnetHiddenInput].Dimensions;
        if (textDims.Length == 3 && unetHidden.Length == 3 && textDims[2] > 0 && unetHidden[2] > 0 && textDims[2] != unetHidden[2])
        {
            throw new InvalidDataException($"diffusion model '{Id}': text_encoder {TextOutput} has width {textDims[2]} but unet encoder_hidden_states expects {unetHidden[2]}");
        }
    }

    /// <summary>The folder name (the model id under the tenant's models container).</summary>
    public string Id { get; }

    /// <summary>SHA-256 over the folder's files: what provenance records and the cache keys on.</summary>
    public string Hash { get; }

    public string UnetSampleInput { get; }

    public string UnetTimestepInput { get; }

    public string UnetHiddenInput { get; }

    public string? VaeEncoderInput { get; }

    public string? VaeEncoderOutput { get; }

    /// <summary>Pixel size the VAE works at (latent size × 8 for Stable Diffusion).</summary>
    public int ImageSize { get; }

    public string Folder { get; }

    public string Provider { get; }

    public ClipTokenizer Tokenizer { get; }

    public SchedulerConfig SchedulerConfig { get; }

    public InferenceSession TextEncoder { get; }

    public InferenceSession Unet { get; }

    public InferenceSession VaeDecoder { get; }

    public InferenceSession? VaeEncoder { get; }

    public string TokenInput { get; }

    public TensorElementType TokenType { get; }

    public string TextOutput { get; }

    public TensorElementType SampleType { get; }

    public TensorElementType TimestepType { get; }

    public TensorElementType HiddenType { get; }

    public string UnetOutput { get; }

    public string LatentInput { get; }

    public TensorElementType LatentType { get; }

    public string ImageOutput { get; }

    public int LatentChannels { get; }

    public int LatentSize { get; }

    public float ScalingFactor { get; }

    /// <summary>A fresh scheduler (they keep per-run state): the one the model's config names, or <paramref name="name"/>
    /// built from that config as diffusers' from_config does.</summary>
    public IScheduler CreateScheduler(string? name = null) => name is null ? SchedulerFactory.FromConfig(SchedulerConfig) : SchedulerFactory.Create(name, SchedulerConfig);

    public void Dispose()
    {
        TextEncoder.Dispose();
        Unet.Dispose();
        VaeDecoder.Dispose();
        VaeEncoder?.Dispose();
    }

    private static string Require(InferenceSession session, string part, string input) =>
        session.InputMetadata.ContainsKey(input)
            ? input
            : throw new InvalidDataException($"{part}/model.onnx has no input '{input}' (it has {string.Join(", ", session.InputMetadata.Keys)})");

    private static JsonElement? ReadJson(string path) => File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone() : null;

    private static int Int(JsonElement? e, string name, int d) => e is { } v && v.TryGetProperty(name, out var p) && p.TryGetInt32(out var i) ? i : d;
}
