using ServerlessMed.Testing;

namespace ServerlessMed.Dicom.Tests;

/// <summary>Checks of our output by tools that do not share our code: pydicom's JSON model and the standard's
/// validator (dciodvfy from dicom3tools).</summary>
public sealed class IndependentToolTests
{
    public static TheoryData<string> WellFormedFiles() => [.. Corpus.WellFormed.Select(f => f.RelativePath)];

    [Theory]
    [MemberData(nameof(WellFormedFiles))]
    public void Json_model_equals_pydicom_to_json_dict(string relativePath)
    {
        var path = Corpus.Get(relativePath).FullPath;
        var json = Path.Combine(Path.GetTempPath(), "smed-json-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(json, new DicomJsonWriter().Write(DicomFile.Open(path).Dataset));
        var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "tests", "tools", "compare_json.py"), path, json]);
        File.Delete(json);
        if (r.ExitCode == 2)
        {
            // pydicom itself cannot serialise this file (e.g. badVR.dcm's IS "1A"): nothing to compare against.
            Assert.StartsWith("pydicom cannot read", r.StdOut, StringComparison.Ordinal);
            return;
        }

        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
    }

    [Theory]
    [MemberData(nameof(WellFormedFiles))]
    public void Dciodvfy_reports_no_new_errors_on_rewritten_files(string relativePath)
    {
        var path = Corpus.Get(relativePath).FullPath;
        var file = DicomFile.Open(path);
        var output = Path.Combine(Path.GetTempPath(), "smed-iod-" + Guid.NewGuid().ToString("N") + ".dcm");
        file.Save(output);
        var before = Dciodvfy.Errors(path);
        var after = Dciodvfy.Errors(output);
        File.Delete(output);
        Assert.Empty(after.Except(before));
    }
}
