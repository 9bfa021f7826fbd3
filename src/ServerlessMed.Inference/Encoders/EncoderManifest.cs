using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMed.Inference.Encoders;

/// <summary>model.json of an image encoder folder: what the model expects and what it returns.</summary>
public sealed class EncoderManifest
{
    public required string Id { get; init; }

    public string Version { get; init; } = "1";

    public string Task { get; init; } = "image-embedding";

    public string Onnx { get; init; } = "model.onnx";

    public required EncoderInput Input { get; init; }

    public EncoderPreprocessing Preprocessing { get; init; } = new();

    public required IReadOnlyList<EncoderOutput> Outputs { get; init; }

    public EncoderScope AppliesTo { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip };

    public static EncoderManifest Load(string folder)
    {
        var path = Path.Combine(folder, "model.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"encoder folder '{folder}' has no model.json");
        }

        EncoderManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<EncoderManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Path}: {e.Message.Split(" Path:")[0]}");
        }

        if (m is null || m.Outputs.Count == 0)
        {
            throw new InvalidDataException($"{path}: needs at least one output");
        }

        if (m.Input.Channels is not (1 or 3) || m.Input.Height <= 0 || m.Input.Width <= 0)
        {
            throw new InvalidDataException($"{path}: $.input: channels must be 1 or 3 and height/width positive");
        }

        if (m.Input.Layout is not ("NCHW" or "NHWC"))
        {
            throw new InvalidDataException($"{path}: $.input.layout: '{m.Input.Layout}' is not NCHW or NHWC");
        }

        if (m.Preprocessing.Resize is not ("bilinear" or "area"))
        {
            throw new InvalidDataException($"{path}: $.preprocessing.resize: '{m.Preprocessing.Resize}' is not bilinear or area");
        }

        return m;
    }
}

public sealed record EncoderInput(string Name, string Layout, int Channels, int Height, int Width);

public sealed class EncoderPreprocessing
{
    /// <summary>"dataset-window" (the instance's VOI, else min-max) is the only policy for now.</summary>
    public string Voi { get; init; } = "dataset-window";

    /// <summary>"bilinear" (half-pixel centres) or "area" (box average; for large downscales).</summary>
    public string Resize { get; init; } = "bilinear";

    public IReadOnlyList<float> Mean { get; init; } = [0.5f];

    public IReadOnlyList<float> Std { get; init; } = [0.25f];
}

public sealed record EncoderOutput(string Name, IReadOnlyList<int> Shape);

public sealed class EncoderScope
{
    public IReadOnlyList<string> Modalities { get; init; } = [];

    public IReadOnlyList<string> SopClasses { get; init; } = [];

    [JsonIgnore]
    public bool IsUniversal => Modalities.Count == 0 && SopClasses.Count == 0;
}
