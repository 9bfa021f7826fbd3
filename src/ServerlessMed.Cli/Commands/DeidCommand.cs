using System.CommandLine;
using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed deid IN OUT: de-identify a file or a folder (recursively) on local disk, no storage involved.
/// Output names are the de-identified UIDs; an audit JSON goes beside each output.</summary>
internal static class DeidCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("in") { Description = "DICOM file or folder" };
        var output = new Argument<string>("out") { Description = "output folder" };
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file (default: $SMED_KEY_FILE, else .smed/tenant.key, created if missing)" };
        var policy = new Option<string?>("--policy") { Description = "tenant policy JSON (see policy/schema.json)" };
        var cmd = new Command("deid", "De-identify DICOM files (PS3.15 Basic Profile and the policy's options)") { input, output, keyFile, policy };
        cmd.SetAction(parse =>
        {
            var inPath = parse.GetValue(input)!;
            var outDir = parse.GetValue(output)!;
            if (!File.Exists(inPath) && !Directory.Exists(inPath))
            {
                return CliEnvironment.Fail("deid", $"'{inPath}' does not exist");
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

            Directory.CreateDirectory(outDir);
            var files = File.Exists(inPath) ? [inPath] : Directory.EnumerateFiles(inPath, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            int ok = 0, failed = 0;
            var jsonOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true };
            var errors = new System.Collections.Concurrent.ConcurrentBag<(int Index, string Message)>();
            // Files are independent (the mapping is stateless), so they are processed on every core.
            Parallel.ForEach(files.Select((f, i) => (f, i + 1)), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, item =>
            {
                var (f, n) = item;
                try
                {
                    // Errors name the file by its position, never its name: names may hold PHI.
                    var file = DicomFile.Open(f, new DicomReaderOptions { SourceName = $"input #{n}" });
                    var result = deid.Deidentify(file);
                    var a = result.Audit;
                    var dir = Path.Combine(outDir, a.StudyInstanceUid, a.SeriesInstanceUid);
                    Directory.CreateDirectory(dir);
                    result.File.Save(Path.Combine(dir, a.SopInstanceUid + ".dcm"));
                    File.WriteAllText(Path.Combine(dir, a.SopInstanceUid + ".audit.json"), JsonSerializer.Serialize(a, jsonOptions));
                    Interlocked.Increment(ref ok);
                }
                catch (Exception e) when (e is DicomException or DeidRejectedException or IOException)
                {
                    errors.Add((n, e.Message));
                    Interlocked.Increment(ref failed);
                }
            });
            foreach (var (index, message) in errors.OrderBy(e => e.Index))
            {
                Console.Error.WriteLine($"smed deid: input #{index}: {message}");
            }

            Console.WriteLine($"{ok} de-identified, {failed} failed");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
