using System.CommandLine;
using ServerlessMed.Dicom;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed dump FILE [--json]: a dcmdump-like listing or the DICOM JSON model (PS3.18 F), every binary value
/// inline (no BulkDataURI: there is nowhere for one to point).</summary>
internal static class DumpCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "DICOM file to list" };
        var json = new Option<bool>("--json") { Description = "print the DICOM JSON model (PS3.18 Annex F) instead of a listing" };
        var cmd = new Command("dump", "List the elements of a DICOM file, as dcmdump does") { file, json };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            try
            {
                var dicom = DicomFile.Open(path.FullName);
                if (parse.GetValue(json))
                {
                    using var stdout = Console.OpenStandardOutput();
                    new DicomJsonWriter().Write(dicom.Dataset, stdout);
                    stdout.Write("\n"u8);
                }
                else
                {
                    Console.Out.Write(new DicomDumpFormatter().Format(dicom));
                }

                return 0;
            }
            catch (Exception e) when (e is DicomException or IOException or UnauthorizedAccessException)
            {
                return CliEnvironment.FailInput("dump", path, e);
            }
        });
        return cmd;
    }
}
