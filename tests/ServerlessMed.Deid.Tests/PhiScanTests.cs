using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests;

/// <summary>Every corpus file de-identified under the default policy and under each option alone, then scanned by
/// an independent pydicom scanner (tests/tools/phi_scan.py) for values the profile does not keep: zero findings.</summary>
public sealed class PhiScanTests
{
    public static TheoryData<string> Policies() =>
    [
        "default",
        .. Enum.GetNames<DeidOption>(),
    ];

    [Theory]
    [MemberData(nameof(Policies))]
    public void No_value_the_profile_removes_survives_anywhere(string policyName)
    {
        var options = policyName == "default" ? [] : new[] { Enum.Parse<DeidOption>(policyName) };
        var policy = new DeidPolicy { Options = options };
        var key = new TenantKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var deid = new Deidentifier(key, policy);
        var dir = Path.Combine(Path.GetTempPath(), "smed-phi-" + policyName + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var pairs = new List<string>();
        var rejected = 0;
        foreach (var f in Corpus.WellFormed)
        {
            DeidResult result;
            try
            {
                result = deid.Deidentify(DicomFile.Open(f.FullPath));
            }
            catch (DeidRejectedException)
            {
                rejected++; // quarantined in the pipeline: no output to leak from
                continue;
            }

            var a = result.Audit;
            var outDir = Path.Combine(dir, a.StudyInstanceUid, a.SeriesInstanceUid);
            Directory.CreateDirectory(outDir);
            var output = Path.Combine(outDir, a.SopInstanceUid + ".dcm");
            result.File.Save(output);
            var audit = Path.Combine(outDir, a.SopInstanceUid + ".audit.json");
            File.WriteAllText(audit, JsonSerializer.Serialize(a));
            pairs.Add($"{f.FullPath}\t{output}\t{audit}");
        }

        var pairsFile = Path.Combine(dir, "pairs.tsv");
        File.WriteAllLines(pairsFile, pairs);
        var columns = JsonSerializer.Serialize(options.Select(OptionColumn));
        var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "tests", "tools", "phi_scan.py"), Corpus.StandardDirectory, columns, pairsFile], timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("findings: 0", r.StdOut, StringComparison.Ordinal);
        // Files without Study/Series/SOP UIDs and Burned In Annotation = YES are rejected (quarantined), not output.
        Assert.True(pairs.Count >= 90, $"only {pairs.Count} outputs ({rejected} rejected)");
        Directory.Delete(dir, recursive: true);
    }

    private static string OptionColumn(DeidOption o) => o switch
    {
        DeidOption.RetainSafePrivate => "rtnSafePrivOpt",
        DeidOption.RetainUIDs => "rtnUIDsOpt",
        DeidOption.RetainDeviceIdentity => "rtnDevIdOpt",
        DeidOption.RetainInstitutionIdentity => "rtnInstIdOpt",
        DeidOption.RetainPatientCharacteristics => "rtnPatCharsOpt",
        DeidOption.RetainLongitudinalFullDates => "rtnLongFullDatesOpt",
        DeidOption.RetainLongitudinalModifiedDates => "rtnLongModifDatesOpt",
        DeidOption.CleanDescriptors => "cleanDescOpt",
        DeidOption.CleanStructuredContent => "cleanStructContOpt",
        DeidOption.CleanGraphics => "cleanGraphOpt",
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };
}
