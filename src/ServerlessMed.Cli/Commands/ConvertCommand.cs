using System.CommandLine;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed convert IN OUT --transfer-syntax UID: rewrite a file in another transfer syntax (native, or RLE, JPEG-LS or JPEG 2000 lossless).</summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<FileInfo>("in") { Description = "DICOM file to read" };
        var output = new Argument<FileInfo>("out") { Description = "DICOM file to write" };
        var ts = new Option<string?>("--transfer-syntax", "-t")
        {
            Description = "transfer syntax UID of the output (default: the input's). Native: 1.2.840.10008.1.2, 1.2.840.10008.1.2.1, 1.2.840.10008.1.2.2, 1.2.840.10008.1.2.1.99 (compressed inputs are decompressed); lossless compression: RLE 1.2.840.10008.1.2.5, JPEG-LS 1.2.840.10008.1.2.4.80, JPEG 2000 1.2.840.10008.1.2.4.90",
        };
        var cmd = new Command("convert", "Rewrite a DICOM file, optionally in another transfer syntax (native, decompressed, or RLE Lossless)") { input, output, ts };
        cmd.SetAction(parse =>
        {
            var inFile = parse.GetValue(input)!;
            try
            {
                var file = DicomFile.Open(inFile.FullName);
                if (parse.GetValue(ts) is { Length: > 0 } uid)
                {
                    PixelTranscoder.Transcode(file, DicomTransferSyntax.Parse(uid));
                }

                file.Save(parse.GetValue(output)!.FullName);
                return 0;
            }
            catch (Exception e) when (e is DicomException or PixelDataException or IOException or UnauthorizedAccessException)
            {
                return CliEnvironment.FailInput("convert", inFile, e);
            }
        });
        return cmd;
    }
}
