using System.CommandLine;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed pixels IN OUT.npy [--frame N] (stored values) and smed preview IN OUT.png [--frame N] (display image
/// through the modality and VOI LUTs).</summary>
internal static class PixelCommands
{
    public static Command Pixels()
    {
        var input = new Argument<FileInfo>("in") { Description = "DICOM file" };
        var output = new Argument<FileInfo>("out") { Description = ".npy file: (frames, rows, columns[, samples]) stored values" };
        var frame = new Option<int?>("--frame") { Description = "only this frame (0-based); default all" };
        var cmd = new Command("pixels", "Write a DICOM file's stored pixel values (before any LUT) as a NumPy .npy array") { input, output, frame };
        cmd.SetAction(parse => Run("pixels", parse.GetValue(input)!, (file, info) =>
        {
            var frames = parse.GetValue(frame) is { } f ? [f] : Enumerable.Range(0, info.NumberOfFrames);
            var decoded = frames.Select(i => FrameDecoder.DecodeStored(file.Dataset, file.TransferSyntax, i)).ToList();
            File.WriteAllBytes(parse.GetValue(output)!.FullName, StoredValuesArray.ToNpy(decoded));
        }));
        return cmd;
    }

    public static Command Preview()
    {
        var input = new Argument<FileInfo>("in") { Description = "DICOM file" };
        var output = new Argument<FileInfo>("out") { Description = ".png file" };
        var frame = new Option<int>("--frame") { Description = "frame to show (0-based)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("preview", "Write a display image of one frame (modality LUT, VOI LUT/window, MONOCHROME1, colour) as PNG") { input, output, frame };
        cmd.SetAction(parse => Run("preview", parse.GetValue(input)!, (file, _) =>
        {
            var decoded = FrameDecoder.Decode(file.Dataset, file.TransferSyntax, parse.GetValue(frame));
            File.WriteAllBytes(parse.GetValue(output)!.FullName, PngWriter.Encode(Renderer.Render(file.Dataset, decoded, parse.GetValue(frame))));
        }));
        return cmd;
    }

    private static int Run(string command, FileInfo input, Action<DicomFile, PixelDataInfo> action)
    {
        try
        {
            var file = DicomFile.Open(input.FullName);
            action(file, PixelDataInfo.FromDataset(file.Dataset));
            return 0;
        }
        catch (Exception e) when (e is DicomException or PixelDataException or IOException or UnauthorizedAccessException)
        {
            return CliEnvironment.FailInput(command, input, e);
        }
    }
}
