using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>diffusers' <c>scheduler_config.json</c> with <c>from_config</c> semantics: a key the file sets explicitly
/// wins; a key it does not set (or lists under <c>_use_default_values</c>) takes the default of the scheduler class
/// that reads it. That is how diffusers lets one exported config drive DDIM, Euler or DPM-Solver alike.</summary>
public sealed class SchedulerConfig
{
    private readonly Dictionary<string, JsonNode?> _values;

    private SchedulerConfig(Dictionary<string, JsonNode?> values) => _values = values;

    /// <summary>The class the file names (<c>_class_name</c>), e.g. DDIMScheduler; empty when absent.</summary>
    public string ClassName => _values.TryGetValue("_class_name", out var v) && v is JsonValue s && s.TryGetValue(out string? name) ? name : string.Empty;

    public static SchedulerConfig Empty { get; } = new(new Dictionary<string, JsonNode?>(StringComparer.Ordinal));

    public static SchedulerConfig Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"scheduler config '{path}' is not valid JSON: {e.Message}");
        }
    }

    public static SchedulerConfig Parse(string json)
    {
        if (JsonNode.Parse(json) is not JsonObject root)
        {
            throw new InvalidDataException("a scheduler config must be a JSON object");
        }

        var defaults = root["_use_default_values"] is JsonArray d ? d.Select(n => n?.GetValue<string>()).ToHashSet(StringComparer.Ordinal) : [];
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in root)
        {
            if (!defaults.Contains(key))
            {
                values[key] = value?.DeepClone();
            }
        }

        return new SchedulerConfig(values);
    }

    /// <summary>A copy with one key set explicitly (request overrides such as use_karras_sigmas).</summary>
    public SchedulerConfig With(string key, object? value)
    {
        var copy = new Dictionary<string, JsonNode?>(_values, StringComparer.Ordinal) { [key] = JsonSerializer.SerializeToNode(value) };
        return new SchedulerConfig(copy);
    }

    public bool IsSet(string key) => _values.TryGetValue(key, out var v) && v is not null;

    public int Int(string key, int fallback) => Read(key, fallback, (JsonValue v, out int r) => v.TryGetValue(out r) || (v.TryGetValue(out double dd) && (r = (int)dd) == dd));

    public double Double(string key, double fallback) => Read(key, fallback, (JsonValue v, out double r) => v.TryGetValue(out r));

    public bool Bool(string key, bool fallback) => Read(key, fallback, (JsonValue v, out bool r) => v.TryGetValue(out r));

    public string String(string key, string fallback) => Read(key, fallback, (JsonValue v, out string r) =>
    {
        var ok = v.TryGetValue(out string? s);
        r = s ?? string.Empty;
        return ok;
    });

    public string? OptionalString(string key) => IsSet(key) ? String(key, string.Empty) : null;

    private delegate bool TryRead<T>(JsonValue value, out T result);

    private T Read<T>(string key, T fallback, TryRead<T> read)
    {
        if (!_values.TryGetValue(key, out var node) || node is null)
        {
            return fallback;
        }

        if (node is JsonValue v && read(v, out var result))
        {
            return result;
        }

        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"scheduler config: '{key}' must be {typeof(T).Name.ToLowerInvariant()}, found {node.ToJsonString()}"));
    }
}
