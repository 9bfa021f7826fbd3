using System.IO.Compression;
using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Local;

namespace ServerlessMed.Deid.Tests;

/// <summary><c>smed deid</c> on a folder with good files, bad files and zips: everything is written or quarantined
/// with a reason, zips are expanded unless they are bombs, and no input name reaches any output.</summary>
public sealed class DeidCommandTests
{
    [Fact]
    public void Every_input_is_written_or_quarantined_and_the_summary_says_so()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidcmd").FullName;
        var input = Directory.CreateDirectory(Path.Combine(root, "in")).FullName;
        File.Copy(Corpus.Get("pydicom/CT_small.dcm").FullPath, Path.Combine(input, "Doe^John_ct.dcm"));
        File.Copy(Corpus.Get("pydicom/MR_truncated.dcm").FullPath, Path.Combine(input, "Doe^John_truncated.dcm"));
        File.WriteAllText(Path.Combine(input, "Doe^John_notes.txt"), "not DICOM");
        using (var zip = ZipFile.Open(Path.Combine(input, "Doe^John_study.zip"), ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(Corpus.Get("pydicom/MR_small.dcm").FullPath, "Doe^John/mr.dcm");
            using var w = new StreamWriter(zip.CreateEntry("Doe^John/readme.txt").Open());
            w.Write("hello");
        }

        using (var bomb = ZipFile.Open(Path.Combine(input, "Roe^Richard.zip"), ZipArchiveMode.Create))
        {
            using var s = bomb.CreateEntry("zeros.dcm", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 64; i++)
            {
                s.Write(zeros);
            }
        }

        var outDir = Path.Combine(root, "out");
        var key = Path.Combine(root, "k");
        File.WriteAllText(key, new string('a', 64));
        var r = Smed.Run(["deid", input, outDir, "--key-file", key]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var summary = JsonDocument.Parse(r.StdOut.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(6, summary.GetProperty("inputs").GetInt32());
        Assert.Equal(2, summary.GetProperty("written").GetInt32());
        Assert.Equal(4, summary.GetProperty("quarantined").GetInt32());
        Assert.Equal(2, Directory.GetFiles(outDir, "*.dcm", SearchOption.AllDirectories).Length);

        var quarantine = Path.Combine(root, "quarantine");
        var reasons = Directory.GetFiles(quarantine, "reason.json", SearchOption.AllDirectories)
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement).ToList();
        Assert.Equal(["not-dicom-or-malformed", "not-dicom-or-malformed", "truncated", "zip-bomb"], reasons.Select(x => x.GetProperty("code").GetString()).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetDirectories(quarantine), d => Assert.True(File.Exists(Path.Combine(d, "original.bin"))));
        var truncated = Directory.GetDirectories(quarantine).Single(d => File.ReadAllText(Path.Combine(d, "reason.json")).Contains("truncated", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(Corpus.Get("pydicom/MR_truncated.dcm").FullPath), File.ReadAllBytes(Path.Combine(truncated, "original.bin")));

        var everything = string.Join('\n', Directory.GetFiles(root, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(input, StringComparison.Ordinal))
            .Select(f => f + "\n" + (f.EndsWith(".json", StringComparison.Ordinal) ? File.ReadAllText(f) : string.Empty))) + r.StdOut + r.StdErr;
        Assert.DoesNotContain("Doe^John", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Roe^Richard", everything, StringComparison.Ordinal);
    }

    [Fact]
    public void A_policy_that_is_not_json_is_one_line_naming_the_file_once()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidpolicy").FullName;
        var policy = Path.Combine(root, "tenant-policy.yaml");
        File.WriteAllText(policy, "retention: 30\noptions: [cleanGraphics]\n");
        var key = Path.Combine(root, "k");
        File.WriteAllText(key, new string('a', 64));
        var r = Smed.Run(["deid", Corpus.Get("pydicom/CT_small.dcm").FullPath, Path.Combine(root, "out"), "--key-file", key, "--policy", policy]);
        Directory.Delete(root, recursive: true);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("tenant-policy.yaml: the policy is not valid JSON (line 1, column 1", line, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(line, "tenant-policy"));
    }

    [Fact]
    public void Quarantine_inside_the_output_is_refused()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidcmd").FullName;
        var r = Smed.Run(["deid", Corpus.Get("pydicom/CT_small.dcm").FullPath, Path.Combine(root, "out"), "--quarantine", Path.Combine(root, "out", "q"), "--key-file", Path.Combine(root, "k")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("must not be inside OUT", r.StdErr, StringComparison.Ordinal);
    }

    /// <summary>OUT (or the quarantine) where a file is, or under a file: one line naming the problem, exit 2, no stack
    /// trace, and nothing written.</summary>
    [Fact]
    public void An_output_or_quarantine_path_that_is_a_file_is_a_one_line_error()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidfile").FullName;
        var input = Corpus.Get("pydicom/CT_small.dcm").FullPath;
        var key = Path.Combine(root, "k");
        File.WriteAllText(key, new string('d', 64));
        var file = Path.Combine(root, "existing.txt");
        File.WriteAllText(file, "not a folder");
        foreach (var (args, expected) in new[]
        {
            (new[] { file }, "is a file; it must be a folder"),
            ([Path.Combine(file, "sub")], "cannot be created"),
            ([Path.Combine(root, "out"), "--quarantine", file], "is a file; it must be a folder"),
        })
        {
            var r = Smed.Run(["deid", input, .. args, "--key-file", key]);
            Assert.Equal(2, r.ExitCode);
            Assert.Single(r.StdErr.Trim().Split('\n'));
            Assert.Contains(expected, r.StdErr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", r.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal("not a folder", File.ReadAllText(file));
        Assert.False(Directory.Exists(Path.Combine(root, "out")));
        Directory.Delete(root, recursive: true);
    }

    /// <summary>A key file named by --key-file or $SMED_KEY_FILE that does not exist is an error (a typo would give every
    /// patient new pseudonyms) and is not created; only the default .smed/tenant.key is created when missing.</summary>
    [Fact]
    public void A_named_key_file_that_does_not_exist_is_an_error_and_only_the_default_is_created()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidkey").FullName;
        var input = Corpus.Get("pydicom/CT_small.dcm").FullPath;
        var typo = Path.Combine(root, "tenant.kye");
        var named = Smed.Run(["deid", input, Path.Combine(root, "out-a"), "--key-file", typo]);
        var fromEnv = Smed.Run(["deid", input, Path.Combine(root, "out-b")], new Dictionary<string, string> { ["SMED_KEY_FILE"] = typo });
        foreach (var r in new[] { named, fromEnv })
        {
            Assert.Equal(2, r.ExitCode);
            Assert.Single(r.StdErr.Trim().Split('\n'));
            Assert.Contains("does not exist", r.StdErr, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(typo));
        Assert.Empty(Directory.GetFiles(root, "*.dcm", SearchOption.AllDirectories));

        var cwd = Directory.CreateDirectory(Path.Combine(root, "cwd")).FullName;
        var byDefault = Smed.Run(["deid", input, Path.Combine(root, "out-c")], new Dictionary<string, string> { ["SMED_KEY_FILE"] = string.Empty }, workingDirectory: cwd);
        Assert.True(byDefault.ExitCode == 0, byDefault.StdErr);
        Assert.Contains("created a new tenant key", byDefault.StdErr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(cwd, ".smed", "tenant.key")));
        Directory.Delete(root, recursive: true);
    }

    /// <summary>A name in the folder that cannot be read (here a dangling link, named like a patient) is counted and
    /// quarantined with a reason that names neither the file nor its path; the run does not stop.</summary>
    [Fact]
    public void An_unreadable_input_is_quarantined_with_a_reason_and_no_path()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidlink").FullName;
        var input = Directory.CreateDirectory(Path.Combine(root, "in")).FullName;
        File.Copy(Corpus.Get("pydicom/CT_small.dcm").FullPath, Path.Combine(input, "a.dcm"));
        File.CreateSymbolicLink(Path.Combine(input, "Doe^Jane_gone.dcm"), Path.Combine(root, "nowhere"));
        var key = Path.Combine(root, "k");
        File.WriteAllText(key, new string('b', 64));
        var r = Smed.Run(["deid", input, Path.Combine(root, "out"), "--key-file", key]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("\"inputs\":2,\"written\":1,\"quarantined\":1", r.StdOut, StringComparison.Ordinal);
        var reason = Directory.GetFiles(Path.Combine(root, "quarantine"), "reason.json", SearchOption.AllDirectories).Single();
        var text = File.ReadAllText(reason);
        Assert.Contains("io-error", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Doe", text + r.StdErr + r.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(root, text + r.StdErr, StringComparison.Ordinal);
    }

    /// <summary>Many workers reaching a study's new folder at once: each must find it made before it writes (a folder
    /// remembered before it existed sent instances to quarantine as "cannot be opened" on a fresh output folder).
    /// Copies of one file sit next to each other, so workers meet at the same new folder; the outcome must equal a
    /// one-worker run's.</summary>
    [Fact]
    public void Workers_racing_into_new_folders_all_write()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidrace").FullName;
        var input = Directory.CreateDirectory(Path.Combine(root, "in")).FullName;
        var n = 0;
        foreach (var f in Corpus.WellFormed)
        {
            for (var copy = 0; copy < 4; copy++)
            {
                File.Copy(f.FullPath, Path.Combine(input, $"{n:D3}-{copy}.dcm"));
            }

            n++;
        }

        var paths = Directory.GetFiles(input).Order(StringComparer.Ordinal).ToList();
        var deid = new Deidentifier(new TenantKey(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()), DeidPolicy.Default);
        var alone = new DeidBatch(deid, Path.Combine(root, "out-1"), Path.Combine(root, "q-1")) { Parallelism = 1 }.Run(paths);
        Assert.True(alone.Written > paths.Count / 2, $"{alone.Written} of {paths.Count} written");
        for (var round = 0; round < 4; round++)
        {
            var batch = new DeidBatch(deid, Path.Combine(root, $"out{round}"), Path.Combine(root, $"q{round}")) { Parallelism = 16 };
            var summary = batch.Run(paths);
            Assert.DoesNotContain(batch.Problems, p => p.Message.Contains("cannot be opened", StringComparison.Ordinal) || p.Message.Contains("cannot be written", StringComparison.Ordinal));
            Assert.Equal((alone.Written, alone.Quarantined), (summary.Written, summary.Quarantined));
            // The corpus has instances that share a SOP Instance UID with different content: the output must still be
            // the one-worker run's, byte for byte (the later input keeps the name, whoever finishes last).
            AssertSameOutputs(Path.Combine(root, "out-1"), Path.Combine(root, $"out{round}"));
            // Quarantine too: one folder per distinct content, its reason from the later input.
            AssertSameOutputs(Path.Combine(root, "q-1"), Path.Combine(root, $"q{round}"), "*");
        }
    }

    /// <summary>Two inputs with one SOP Instance UID: the later one in input order keeps the output even when it
    /// finishes first (the earlier one here is a large multi-frame file, the later one small), as in a one-worker run.</summary>
    [Fact]
    public void The_later_of_two_inputs_with_one_SOP_instance_UID_keeps_the_output_whoever_finishes_last()
    {
        var root = Directory.CreateTempSubdirectory("smed-deiddup").FullName;
        var input = Directory.CreateDirectory(Path.Combine(root, "in")).FullName;
        var small = Path.Combine(input, "b-small.dcm");
        File.Copy(Corpus.Get("pydicom/CT_small.dcm").FullPath, small);
        var big = DicomFile.Open(small);
        Assert.True(big.Dataset.TryGetElement(DicomTag.PixelData, out var pixelData));
        var frame = pixelData.Buffer.GetMemory().ToArray();
        const int frames = 400; // 12.5 MiB, deflated: inflating and deflating it again is slow next to the small file
        var pixels = new byte[frame.Length * frames];
        for (var f = 0; f < frames; f++)
        {
            frame.CopyTo(pixels, f * frame.Length);
        }

        big.Dataset.AddOrUpdate(DicomTag.NumberOfFrames, DicomVR.IS, frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        big.Dataset.AddOrUpdate(new DicomElement(DicomTag.PixelData, DicomVR.OW, DicomBuffer.FromBytes(pixels)));
        big.TransferSyntax = DicomTransferSyntax.DeflatedExplicitVRLittleEndian;
        big.Save(Path.Combine(input, "a-big.dcm"));

        var paths = Directory.GetFiles(input).Order(StringComparer.Ordinal).ToList();
        var deid = new Deidentifier(new TenantKey(Enumerable.Range(3, 32).Select(i => (byte)i).ToArray()), DeidPolicy.Default);
        new DeidBatch(deid, Path.Combine(root, "alone"), Path.Combine(root, "q")) { Parallelism = 1 }.Run(paths);
        var kept = Directory.GetFiles(Path.Combine(root, "alone"), "*.dcm", SearchOption.AllDirectories).Single();
        Assert.True(new FileInfo(kept).Length < 1 << 20, "a one-worker run keeps the later, small input's output");
        for (var round = 0; round < 5; round++)
        {
            var summary = new DeidBatch(deid, Path.Combine(root, $"out{round}"), Path.Combine(root, "q")) { Parallelism = 2 }.Run(paths);
            Assert.Equal((2, 2, 0), (summary.Inputs, summary.Written, summary.Quarantined));
            AssertSameOutputs(Path.Combine(root, "alone"), Path.Combine(root, $"out{round}"));
        }
    }

    /// <summary>The same files (names and bytes) in both folders; by default the de-identified instances only (audit
    /// files hold times).</summary>
    private static void AssertSameOutputs(string expected, string actual, string pattern = "*.dcm")
    {
        SortedDictionary<string, byte[]> Read(string dir) => new(
            Directory.GetFiles(dir, pattern, SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes),
            StringComparer.Ordinal);
        var want = Read(expected);
        var got = Read(actual);
        Assert.Equal(want.Keys, got.Keys);
        Assert.All(want, e => Assert.True(e.Value.AsSpan().SequenceEqual(got[e.Key]), $"{e.Key} differs from the one-worker run's"));
    }

    /// <summary>An output that cannot be written (here a file sits where the series folder must go) is quarantined
    /// as an output failure, not passed off as an unreadable input, and names no path.</summary>
    [Fact]
    public void An_output_that_cannot_be_written_is_quarantined_as_such()
    {
        var root = Directory.CreateTempSubdirectory("smed-deidout").FullName;
        var input = Corpus.Get("pydicom/CT_small.dcm").FullPath;
        var key = Path.Combine(root, "k");
        File.WriteAllText(key, new string('c', 64));
        var first = Path.Combine(root, "first");
        Assert.Equal(0, Smed.Run(["deid", input, first, "--key-file", key]).ExitCode);
        var series = Path.GetRelativePath(first, Path.GetDirectoryName(Directory.GetFiles(first, "*.dcm", SearchOption.AllDirectories).Single())!);

        var outDir = Path.Combine(root, "out");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(outDir, series))!);
        File.WriteAllText(Path.Combine(outDir, series), "in the way");
        var r = Smed.Run(["deid", input, outDir, "--key-file", key, "--quarantine", Path.Combine(root, "q")]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("\"inputs\":1,\"written\":0,\"quarantined\":1", r.StdOut, StringComparison.Ordinal);
        var reason = File.ReadAllText(Directory.GetFiles(Path.Combine(root, "q"), "reason.json", SearchOption.AllDirectories).Single());
        Assert.Contains("output-io-error", reason, StringComparison.Ordinal);
        Assert.Contains("output cannot be written", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(root, reason + r.StdErr, StringComparison.Ordinal);
    }
}
