using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMed.Deid;

/// <summary>Source-generated JSON for everything the de-identification path reads and writes, so it needs no runtime
/// reflection (and works in a native-AOT build of smed).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(DeidAuditRecord))]
[JsonSerializable(typeof(DeidPolicy))]
public sealed partial class DeidJsonContext : JsonSerializerContext;
