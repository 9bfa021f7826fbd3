using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMed.Search.Query;

/// <summary>The answer of `smed search --json` and of GET /api/similar: the query and the nearest studies, best first.</summary>
public sealed record SimilarStudiesResult(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("query")] SimilarStudiesQuery Query,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("results")] IReadOnlyList<SimilarStudy> Results)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

/// <summary>What was asked: a de-identified study, or an instance file (its de-identified study is named when known).</summary>
public sealed record SimilarStudiesQuery(
    [property: JsonPropertyName("study")] string? Study,
    [property: JsonPropertyName("instance")] string? Instance);

/// <summary>One similar study: its de-identified UID, cosine similarity, modalities, body part and size.</summary>
public sealed record SimilarStudy(
    [property: JsonPropertyName("study")] string Study,
    [property: JsonPropertyName("similarity")] float Similarity,
    [property: JsonPropertyName("modality")] string Modality,
    [property: JsonPropertyName("bodyPart")] string BodyPart,
    [property: JsonPropertyName("instances")] int Instances);

/// <summary>The JSON body of an error answer.</summary>
public sealed record SimilarStudiesErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("message")] string Message);
