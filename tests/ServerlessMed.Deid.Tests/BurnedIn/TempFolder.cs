using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests.BurnedIn;

/// <summary>A folder under /tmp for one test's files, deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("smed-burnedin-").FullName;

    public string Path(string name) => System.IO.Path.Combine(_root, name);

    /// <summary>Writes <paramref name="file"/> in the variant's transfer syntax (rle, jpeg-ls, jpeg2000 by our
    /// encoders; jpeg-baseline by DCMTK's dcmcjpeg; anything else as it is) and opens it again as an upload would be.</summary>
    public DicomFile Save(DicomFile file, string name, string variant)
    {
        var path = Path(name);
        switch (variant)
        {
            case "rle":
                PixelTranscoder.Transcode(file, DicomTransferSyntax.RLELossless);
                break;
            case "jpeg-ls":
                PixelTranscoder.Transcode(file, DicomTransferSyntax.JPEGLSLossless);
                break;
            case "jpeg2000":
                PixelTranscoder.Transcode(file, DicomTransferSyntax.JPEG2000Lossless);
                break;
            case "jpeg-baseline":
                var native = Path("native-" + name);
                file.Save(native);
                var r = ExternalTool.Run("dcmcjpeg", ["+eb", "+q", "95", native, path]);
                Assert.True(r.ExitCode == 0, "dcmcjpeg: " + r.StdErr);
                return DicomFile.Open(path);
        }

        file.Save(path);
        return DicomFile.Open(path);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
