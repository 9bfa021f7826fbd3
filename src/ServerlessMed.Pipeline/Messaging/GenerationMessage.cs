using System.Text.Json;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary>A generation request: de-identified identifiers and parameters only (no PHI), with a request id
/// derived from them so a redelivered request rewrites the same outputs.</summary>
public sealed record GenerationMessage
{
    /// <summary>Message schema version; a worker refuses versions it does not know (dead-lettered, not guessed at).</summary>
    public int Version { get; init; } = 1;

    public required string RequestId { get; init; }

    /// <summary>W3C trace context of the ingest that produced the request (one trace from upload to images).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("traceparent")]
    public string? TraceParent { get; init; }

    /// <summary>Tenant the request belongs to (informational; the queue itself is per tenant).</summary>
    public string? Tenant { get; init; }

    /// <summary>Diffusion model id under the tenant's models container; null: the worker's default model.</summary>
    public string? ModelId { get; init; }

    /// <summary>Blob name of the instance's embedding (.npy) in the embeddings container, when one was written.</summary>
    public string? EmbeddingBlob { get; init; }

    /// <summary>Several weighted prompts (text-embedding mix); when empty, <see cref="Prompt"/> alone.</summary>
    public IReadOnlyList<PromptPart> Prompts { get; init; } = [];

    /// <summary>Scheduler name (ddim, pndm, euler, euler-a, dpm++2m, dpm++2m-karras, lcm); null: the model's own.</summary>
    public string? Scheduler { get; init; }

    /// <summary>img2img strength: set, the de-identified source rendered through its VOI LUT is the init image.</summary>
    public float? Strength { get; init; }

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

    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static GenerationMessage Parse(string json)
    {
        var message = JsonSerializer.Deserialize<GenerationMessage>(json, Json) ?? throw new JsonException("empty generation message");
        return message.Version == CurrentVersion ? message : throw new JsonException($"generation message version {message.Version} is not supported (expected {CurrentVersion})");
    }

    /// <summary>Stable id: a hash of the instance and the parameters.</summary>
    public static string DeriveRequestId(string sopUid, string prompt, int steps, float guidance, int count)
    {
        var text = string.Join('\u001f', sopUid, prompt, steps.ToString(System.Globalization.CultureInfo.InvariantCulture), guidance.ToString("R", System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "g" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 10)).ToLowerInvariant();
    }
}

/// <summary>One prompt of a multi-prompt request.</summary>
public sealed record PromptPart(string Text, float Weight = 1f);
