using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessMed.Deid;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>Whether and how de-identified instances are sent for synthetic image generation: the <c>generation</c>
/// section of a tenant's policy file (policy/schema.json), read by <see cref="TenantPolicy"/>. The ingest stage turns it
/// into each instance's <see cref="Messaging.GenerationMessage"/>; the generation stage runs what the message says.</summary>
/// <remarks>Settable properties for the same reason as <see cref="DeidPolicy"/>'s: the JSON reader leaves init-only
/// members it does not find at default(T), not at their initialisers.</remarks>
public sealed class GenerationPolicy
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // The section is re-read from the file's text: the same leniency as the rest of the file.
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public bool Enabled { get; set; } = true;

    /// <summary>Images generated per instance.</summary>
    public int Count { get; set; } = 1;

    public int Steps { get; set; } = 8;

    public double GuidanceScale { get; set; } = 3.0;

    /// <summary>Prompt template; {modality} and {bodyPart} come from the de-identified instance.</summary>
    public string Prompt { get; set; } = "a {modality} image of the {bodyPart}";

    /// <summary>Only these modalities are sent (empty: all with pixel data).</summary>
    public IReadOnlyList<string> Modalities { get; set; } = [];

    /// <summary>Reads and validates the section; errors name the field as <c>$.generation.…</c> of the file.</summary>
    /// <exception cref="DeidPolicyException">A field is unknown, of the wrong type or out of range.</exception>
    public static GenerationPolicy Parse(JsonElement section, string source)
    {
        GenerationPolicy? policy;
        try
        {
            policy = section.Deserialize<GenerationPolicy>(Json);
        }
        catch (JsonException e)
        {
            // The reader names the path inside the section ($.count); the file's path is $.generation.count.
            var path = "$.generation" + (e.Path is { Length: > 1 } p ? p[1..] : string.Empty);
            throw new DeidPolicyException($"{source}: {path}: {e.Message.Split(" Path:")[0].TrimEnd('.', ' ')}");
        }

        policy ??= new GenerationPolicy();
        policy.Validate(source);
        return policy;
    }

    private void Validate(string source)
    {
        if (Count is < 1 or > 16)
        {
            throw new DeidPolicyException($"{source}: $.generation.count: must be between 1 and 16");
        }

        if (Steps is < 1 or > 1000)
        {
            throw new DeidPolicyException($"{source}: $.generation.steps: must be between 1 and 1000");
        }
    }
}
