using System.CommandLine;
using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Workflow.Local;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed deid IN OUT: de-identify a file or a folder (recursively, zip files expanded) on local disk.
/// Outputs are named by de-identified UIDs with an audit JSON beside each; inputs that fail are quarantined with a
/// reason (never inside OUT). The last stdout line is a JSON summary; exit 0 when written + quarantined = inputs.</summary>
internal static class DeidCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "DICOM file, zip, or folder (recursive)" };
        var output = new Argument<string>("out") { Description = "output folder: {study'}/{series'}/{sop'}.dcm" };
        var quarantine = new Option<string?>("--quarantine") { Description = "where failed inputs go with reason.json (default: OUT/../quarantine)" };
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file, which must exist (default: $SMED_KEY_FILE, which must exist too, else .smed/tenant.key, created if missing)" };
        var policy = new Option<string?>("--policy") { Description = "tenant policy JSON (see policy/schema.json)" };
        var parallel = new Option<int>("--parallel") { Description = "files de-identified at once (default: twice the cores)", DefaultValueFactory = _ => Environment.ProcessorCount * 2 };
        var cmd = new Command("deid", "De-identify DICOM files (PS3.15 Basic Profile and the policy's options)") { input, output, quarantine, keyFile, policy, parallel };
        cmd.SetAction(parse =>
        {
            var inPath = parse.GetValue(input)!;
            var outDir = Path.GetFullPath(parse.GetValue(output)!);
            if (!File.Exists(inPath) && !Directory.Exists(inPath))
            {
                return CliEnvironment.Fail("deid", $"'{inPath}' does not exist");
            }

            var quarantineDir = Path.GetFullPath(parse.GetValue(quarantine) ?? Path.Combine(Path.GetDirectoryName(outDir.TrimEnd('/')) ?? ".", "quarantine"));
            if ((quarantineDir + "/").StartsWith(outDir.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                return CliEnvironment.Fail("deid", "--quarantine must not be inside OUT");
            }

            foreach (var (what, dir) in new[] { ("OUT", outDir), ("--quarantine", quarantineDir) })
            {
                if (File.Exists(dir))
                {
                    return CliEnvironment.Fail("deid", $"{what} '{dir}' is a file; it must be a folder (created when missing)");
                }
            }

            Deidentifier deid;
            try
            {
                deid = new Deidentifier(CliEnvironment.Key(parse.GetValue(keyFile)), CliEnvironment.Policy(parse.GetValue(policy)));
            }
            catch (Exception e) when (e is DeidPolicyException or InvalidDataException or FileNotFoundException)
            {
                return CliEnvironment.Fail("deid", e.Message);
            }

            // Enumerated from the full path, so each input's path is already whole (no getcwd per file).
            var root = Path.GetFullPath(inPath);
            IReadOnlyList<string> files = File.Exists(root) ? [root] : [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
            if (parse.GetValue(parallel) is < 1 or > 256)
            {
                return CliEnvironment.Fail("deid", "--parallel must be 1 to 256");
            }

            try
            {
                Directory.CreateDirectory(outDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliEnvironment.Fail("deid", $"OUT '{outDir}' cannot be created ({(e is UnauthorizedAccessException ? "permission denied" : "a file is in its path, or the file system refuses")})");
            }

            var batch = new DeidBatch(deid, outDir, quarantineDir) { Parallelism = parse.GetValue(parallel) };
            var summary = batch.Run(files);
            foreach (var (label, message) in batch.Problems.OrderBy(p => p.Input, StringComparer.Ordinal))
            {
                // Inputs are named by position, never by file name: names may hold PHI.
                Console.Error.WriteLine($"smed deid: input {label}: {message}");
            }

            Console.WriteLine(JsonSerializer.Serialize(summary, WorkflowJsonContext.Compact.DeidBatchSummary));
            return summary.Written + summary.Quarantined == summary.Inputs ? 0 : 1;
        });
        return cmd;
    }
}
