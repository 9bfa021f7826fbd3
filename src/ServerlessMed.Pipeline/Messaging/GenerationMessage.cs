using System.Text.Json;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary>A generation request: de-identified identifiers and parameters only (no PHI), with a request id
/// derived from them so a redelivered request rewrites the same outputs.</summary>
public sealed record GenerationMessage
{
    public required string RequestId { get; init; }

    public required string StudyUid { get; init; }

    public required string SeriesUid { get; init; }

    public required string SopUid { get; init; }

    /// <summary>Blob name of the de-identified instance in the deid container.</summary>
    public required string DeidBlob { get; init; }

    public required string Prompt { get; init; }

    public string NegativePrompt { get; init; } = string.Empty;

    public int Steps { get; init; } = 8;

    public float GuidanceScale { get; init; } = 3f;

    public int Seed { get; init; }

    public int Count { get; init; } = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GenerationMessage Parse(string json) => JsonSerializer.Deserialize<GenerationMessage>(json, Json) ?? throw new JsonException("empty generation message");

    /// <summary>Stable id: a hash of the instance and the parameters.</summary>
    public static string DeriveRequestId(string sopUid, string prompt, int steps, float guidance, int count)
    {
        var text = string.Join('\u001f', sopUid, prompt, steps.ToString(System.Globalization.CultureInfo.InvariantCulture), guidance.ToString("R", System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "g" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 10)).ToLowerInvariant();
    }
}
