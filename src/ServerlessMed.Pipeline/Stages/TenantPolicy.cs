using System.Text.Json;
using ServerlessMed.Deid;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>A tenant's whole policy file (policy/schema.json, <c>SMED_POLICY</c>): the de-identification part, which
/// <see cref="DeidPolicy"/> reads (it skips the sections in <see cref="DeidPolicy.SectionsReadElsewhere"/>, so
/// <c>smed deid</c> takes the same file), and the <c>generation</c> section, read here by <see cref="GenerationPolicy"/>.
/// Validated when loaded: every error names the file and the JSON field.</summary>
public sealed record TenantPolicy(DeidPolicy Deid, GenerationPolicy Generation)
{
    public static TenantPolicy Default { get; } = new(DeidPolicy.Default, new GenerationPolicy());

    /// <exception cref="DeidPolicyException">The file is missing, not JSON, or a field is wrong (named).</exception>
    public static TenantPolicy Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), Path.GetFileName(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DeidPolicyException($"policy file '{path}' does not exist");
        }
    }

    public static TenantPolicy Parse(string json, string source = "policy")
    {
        // De-identification first: it reports a file that is not JSON, or whose root is not an object, as such.
        var deid = DeidPolicy.Parse(json, source);
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var generation = document.RootElement.TryGetProperty(GenerationSection, out var section)
            ? GenerationPolicy.Parse(section, source)
            : new GenerationPolicy();
        return new TenantPolicy(deid, generation);
    }

    /// <summary>The top-level member of the policy file that holds <see cref="GenerationPolicy"/>.</summary>
    public const string GenerationSection = "generation";
}
