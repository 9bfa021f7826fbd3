using System.Text.Json;
using System.Text.RegularExpressions;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Deid.Tests;

/// <summary>The one enumeration of quarantine codes covers every code the sources throw, under the same wire name.</summary>
public sealed partial class QuarantineCodeTests
{
    [GeneratedRegex("""(DeidRejectedException|PixelDataException|ZipRejectedException)\("([a-z0-9-]+)"[,)]""")]
    private static partial Regex Thrown();

    [Fact]
    public void Every_code_thrown_in_the_sources_is_a_member_with_that_wire_name()
    {
        var codes = Directory.EnumerateFiles(Path.Combine(Corpus.RepoRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => Thrown().Matches(File.ReadAllText(f)).Select(m => m.Groups[2].Value))
            .Distinct(StringComparer.Ordinal).ToList();
        Assert.True(codes.Count > 20, $"found only {codes.Count} codes: the pattern no longer matches the sources");
        Assert.All(codes, c => Assert.True(QuarantineCodes.TryParse(c, out var code) && code.WireName() == c, $"'{c}' has no member"));
    }

    [Fact]
    public void Wire_names_are_unique_kebab_case_and_what_the_record_holds()
    {
        var names = Enum.GetValues<QuarantineCode>().Select(c => c.WireName()).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.Matches("^[a-z0-9]+(-[a-z0-9]+)*$", n));
        var json = JsonSerializer.Serialize(new QuarantineRecord("#3/2", QuarantineStage.Expand, QuarantineCode.NotDicomOrMalformed, "m", 4, new string('0', 64)), WorkflowJsonContext.Default.QuarantineRecord);
        Assert.Contains("\"code\": \"not-dicom-or-malformed\"", json, StringComparison.Ordinal);
        Assert.Contains("\"stage\": \"expand\"", json, StringComparison.Ordinal);
        Assert.Equal(QuarantineCode.BurnedInUnreadable, QuarantineCodes.Of(new DeidRejectedException("burned-in-bad-jpeg", "m")));
    }
}
