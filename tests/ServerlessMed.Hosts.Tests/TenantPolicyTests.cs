using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Testing;

namespace ServerlessMed.Hosts.Tests;

/// <summary>The tenant policy file the ingest host loads (SMED_POLICY): the de-identification part read by
/// ServerlessMed.Deid and the generation section read by the pipeline, from one file, with one kind of error that
/// names the file and the field.</summary>
public sealed class TenantPolicyTests
{
    [Fact]
    public void One_file_gives_both_parts()
    {
        var policy = TenantPolicy.Parse("""
            {
              // comments and trailing commas, as in the examples
              "pseudonymFormat": "P-{hash}",
              "generation": { "enabled": false, "count": 3, "modalities": ["CT"], },
            }
            """);
        Assert.Equal("P-{hash}", policy.Deid.PseudonymFormat);
        Assert.False(policy.Generation.Enabled);
        Assert.Equal(3, policy.Generation.Count);
        Assert.Equal(["CT"], policy.Generation.Modalities);
        Assert.Equal(8, policy.Generation.Steps);
        Assert.True(TenantPolicy.Parse("{}").Generation.Enabled);
    }

    [Theory]
    [InlineData("""{"generation": {"count": 99}}""", "$.generation.count")]
    [InlineData("""{"generation": {"steps": 0}}""", "$.generation.steps")]
    [InlineData("""{"generation": {"count": "two"}}""", "$.generation.count")]
    [InlineData("""{"generation": {"seed": 1}}""", "seed")]
    [InlineData("""{"keep": ["NotATag"], "generation": {}}""", "$.keep[0]")]
    public void Bad_policies_are_rejected_naming_the_field(string json, string field)
    {
        var e = Assert.Throws<DeidPolicyException>(() => TenantPolicy.Parse(json, "tenant.json"));
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("tenant.json: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_names_every_generation_field()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Corpus.RepoRoot, "policy", "schema.json")));
        var generation = schema.RootElement.GetProperty("properties").GetProperty(TenantPolicy.GenerationSection).GetProperty("properties");
        var written = JsonSerializer.SerializeToElement(new GenerationPolicy(), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Equal(written.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), generation.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Example_policies_in_the_repository_load_whole()
    {
        var files = Directory.GetFiles(Path.Combine(Corpus.RepoRoot, "policy", "examples"), "*.json");
        Assert.NotEmpty(files);
        Assert.Contains(files.Select(TenantPolicy.Load), p => !p.Generation.Enabled);
    }
}
