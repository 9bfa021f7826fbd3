using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMed.Functions;

/// <summary>What the Functions host POSTs to a custom handler: trigger and input binding data by binding name,
/// and trigger metadata (for a queue trigger: Id, DequeueCount, InsertionTime, ...).</summary>
public sealed class InvocationRequest
{
    [JsonPropertyName("Data")]
    public Dictionary<string, JsonElement> Data { get; init; } = [];

    [JsonPropertyName("Metadata")]
    public Dictionary<string, JsonElement> Metadata { get; init; } = [];
}

/// <summary>What the handler answers: output binding values by name, log lines for the host, and $return.</summary>
public sealed class InvocationResponse
{
    [JsonPropertyName("Outputs")]
    public Dictionary<string, object?> Outputs { get; init; } = [];

    [JsonPropertyName("Logs")]
    public List<string> Logs { get; init; } = [];

    [JsonPropertyName("ReturnValue")]
    public object? ReturnValue { get; set; }
}
