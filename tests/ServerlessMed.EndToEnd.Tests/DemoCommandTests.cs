using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary><c>smed demo</c> as a user runs it, on inputs that each make a different outcome: the console and the
/// page show the same counts, and the page holds none of the inputs' identifying values or names.</summary>
public sealed partial class DemoCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    // Upload order is the file names' order; the names carry a PHI-like string the page must not show.
    private static readonly (string Name, string Corpus)[] Inputs =
    [
        ("1-Smith^Jane-ct.dcm", "pydicom/CT_small.dcm"),
        ("2-Smith^Jane-mr.dcm", "pydicom/MR_small.dcm"),
        ("3-Smith^Jane-ct-again.dcm", "pydicom/CT_small.dcm"),
        ("4-Smith^Jane-sr.dcm", "highdicom/sr_document.dcm"),
        ("5-Smith^Jane-truncated.dcm", "pydicom/MR_truncated.dcm"),
    ];

    [Fact]
    public void Console_and_page_agree_and_the_page_holds_no_original_identifiers()
    {
        var root = Path.Combine(Path.GetTempPath(), "smed-demo-" + Guid.NewGuid().ToString("N"));
        var input = Path.Combine(root, "in");
        var output = Path.Combine(root, "out");
        var keyFile = Path.Combine(root, "tenant.key");
        Directory.CreateDirectory(input);
        try
        {
            foreach (var (name, corpus) in Inputs)
            {
                File.Copy(Corpus.Get(corpus).FullPath, Path.Combine(input, name));
            }

            Deid.TenantKey.LoadOrCreate(keyFile, createIfMissing: true);
            var r = Smed.Run(["demo", "--input", input, "--connection-string", azurite.ConnectionString, "--key-file", keyFile, "--models", TestModels.Folder, "--output", output]);
            Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
            var page = File.ReadAllText(Path.Combine(output, "index.html"));

            // Every count row of the page, by key, and the same row (same label, same value) on the console.
            var rows = PageRow().Matches(page).ToDictionary(m => m.Groups["key"].Value, m => (Label: System.Net.WebUtility.HtmlDecode(m.Groups["label"].Value), Value: long.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            foreach (var (key, (label, value)) in rows)
            {
                Assert.Matches(new Regex("^ *" + Regex.Escape(label) + " +" + value + "$", RegexOptions.Multiline), r.StdOut);
            }

            Assert.Equal(5, rows["uploaded"].Value);
            Assert.Equal(4, rows["deidentified"].Value);
            Assert.Equal(1, rows["duplicates"].Value);
            Assert.Equal(3, rows["embedded"].Value);
            Assert.Equal(1, rows["no-pixels"].Value);
            Assert.Equal(3, rows["generation-requests"].Value);
            Assert.Equal(1, rows["quarantined"].Value);
            Assert.Equal(1, rows["quarantined:deid:truncated"].Value);
            // One generated set per distinct embedded instance (the duplicate asks for the same set), each with its settings.
            Assert.Equal(2, PageSettings().Matches(page).Count);
            Assert.True(rows["generated"].Value >= 2);

            // The quarantined input is named by its upload number and content hash, as sha256sum prints it.
            var sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(input, Inputs[4].Name)))).ToLowerInvariant();
            Assert.Contains($"upload #5 · sha256 <code>{sha}</code>", page, StringComparison.Ordinal);
            Assert.Contains($"upload #5, sha256 {sha}", r.StdOut, StringComparison.Ordinal);
            Assert.Contains("built-in test models", page, StringComparison.Ordinal);
            Assert.Contains("busy time, overlapping", page, StringComparison.Ordinal);

            Assert.DoesNotContain("Smith", page, StringComparison.OrdinalIgnoreCase);
            foreach (var value in OriginalIdentifiers())
            {
                Assert.False(page.Contains(value, StringComparison.OrdinalIgnoreCase), $"the page shows an original value of {value.Length} characters");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The inputs' identifying values (long enough not to occur by chance).</summary>
    private static IEnumerable<string> OriginalIdentifiers()
    {
        DicomTag[] tags = [DicomTag.PatientName, DicomTag.PatientID, DicomTag.AccessionNumber, DicomTag.InstitutionName, DicomTag.ReferringPhysicianName, DicomTag.StudyID, DicomTag.StudyInstanceUID, DicomTag.SeriesInstanceUID, DicomTag.SOPInstanceUID];
        foreach (var (_, corpus) in Inputs.Take(4))
        {
            var ds = DicomFile.Open(Corpus.Get(corpus).FullPath).Dataset;
            foreach (var tag in tags)
            {
                var value = ds.GetSingleValueOrDefault(tag, string.Empty).Trim();
                if (value.Length >= 6)
                {
                    yield return value;
                }
            }
        }
    }

    [GeneratedRegex("<tr><td>(?:&nbsp;)*(?<label>[^<]+)</td><td class=\"n\" data-count=\"(?<key>[^\"]+)\">(?<value>\\d+)</td></tr>")]
    private static partial Regex PageRow();

    [GeneratedRegex("<dt>seed</dt><dd>\\d+</dd>")]
    private static partial Regex PageSettings();
}
