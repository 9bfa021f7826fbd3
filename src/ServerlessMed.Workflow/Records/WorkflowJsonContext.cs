using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMed.Workflow.Records;

/// <summary>Source-generated JSON for the workflow's records (no runtime reflection, as for the de-identification path).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InstanceRecord))]
[JsonSerializable(typeof(QuarantineRecord))]
[JsonSerializable(typeof(EmbeddingDescription))]
[JsonSerializable(typeof(Local.DeidBatchSummary))]
public sealed partial class WorkflowJsonContext : JsonSerializerContext
{
    /// <summary>One line (metadata values, jsonl).</summary>
    public static WorkflowJsonContext Compact { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull });
}
