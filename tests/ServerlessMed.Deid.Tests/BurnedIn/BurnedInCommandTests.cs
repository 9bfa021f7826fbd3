using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests.BurnedIn;

/// <summary><c>smed deid</c> (the built CLI, as a user runs it) on ultrasound images with identifiers in their
/// pixels: masked under the default policy, quarantined under <c>burnedIn.action: quarantine</c>; the audit lines
/// list boxes; no planted word reaches any output, reason, log line or the console.</summary>
public sealed class BurnedInCommandTests
{
    [Fact]
    public void Smed_deid_masks_by_default_and_quarantines_when_the_policy_says_so()
    {
        using var temp = new TempFolder();
        var input = Directory.CreateDirectory(temp.Path("in")).FullName;
        var text = BurnedInTextTests.Variant("rgb");
        text.File.Save(Path.Combine(input, "text.dcm"));
        BurnedInTextTests.Variant("mono8", withText: false).File.Save(Path.Combine(input, "clean.dcm"));
        var key = temp.Path("k");
        File.WriteAllText(key, new string('c', 64));

        var masked = Smed.Run(["deid", input, temp.Path("out"), "--key-file", key, "--quarantine", temp.Path("q")]);
        Assert.True(masked.ExitCode == 0, masked.StdErr);
        Assert.Contains("\"inputs\":2,\"written\":2,\"quarantined\":0", masked.StdOut, StringComparison.Ordinal);
        var audits = File.ReadAllLines(Directory.GetFiles(temp.Path("out"), "audit-*.jsonl").Single()).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var scanned = audits.Select(a => a.GetProperty("burnedIn")).ToList();
        Assert.Equal([false, true], scanned.Select(b => b.GetProperty("masked").GetBoolean()).Order());
        var boxes = scanned.Single(b => b.GetProperty("masked").GetBoolean()).GetProperty("boxes");
        Assert.True(boxes.GetArrayLength() >= 4);
        Assert.All(boxes.EnumerateArray(), b => Assert.Equal("ocr", b.GetProperty("source").GetString()));
        var outputs = Directory.GetFiles(temp.Path("out"), "*.dcm", SearchOption.AllDirectories).Select(f => DicomFile.Open(f)).ToList();
        var cleaned = outputs.Single(o => o.Dataset.GetSingleValueOrDefault(DicomTag.BurnedInAnnotation, string.Empty) == "NO");
        Assert.Empty(TextReader.Found(TextReader.Read(cleaned, 0), text.Words));

        var policy = temp.Path("policy.json");
        File.WriteAllText(policy, """{"burnedIn": {"action": "quarantine"}}""");
        var quarantined = Smed.Run(["deid", input, temp.Path("out2"), "--key-file", key, "--quarantine", temp.Path("q2"), "--policy", policy]);
        Assert.True(quarantined.ExitCode == 0, quarantined.StdErr);
        Assert.Contains("\"inputs\":2,\"written\":1,\"quarantined\":1", quarantined.StdOut, StringComparison.Ordinal);
        var reason = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(temp.Path("q2"), "reason.json", SearchOption.AllDirectories).Single())).RootElement;
        Assert.Equal("burned-in-text", reason.GetProperty("code").GetString());

        var everything = string.Join('\n', Directory.GetFiles(temp.Path("."), "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal))
            .Select(File.ReadAllText)) + masked.StdOut + masked.StdErr + quarantined.StdOut + quarantined.StdErr;
        Assert.All(text.Words, w => Assert.DoesNotContain(w, everything, StringComparison.OrdinalIgnoreCase));
    }
}
