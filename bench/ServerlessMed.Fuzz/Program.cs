using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using SharpFuzz;

// One input: read it (seekable, with a tiny large-value threshold so deferred values are exercised too), list it,
// write it back in its syntax and read that again. A DicomException is the expected answer to bad input;
// anything else (or a hang, or memory out of proportion) is a finding.
// No library code may run before Fuzzer.OutOfProcess.Run: the instrumented assembly writes coverage into a map
// that Run sets up.
Fuzzer.OutOfProcess.Run(stream =>
{
    var options = new DicomReaderOptions { LargeValueThreshold = 256, MaxSequenceDepth = 16, MaxValueLength = 16 * 1024 * 1024, SourceName = "fuzz" };
    try
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        var file = DicomFile.Open(copy, options);
        _ = new DicomDumpFormatter().Format(file);
        _ = new DicomJsonWriter().Write(file.Dataset);
        using var output = new MemoryStream();
        file.Save(output);
        output.Position = 0;
        _ = DicomFile.Open(output, options);
    }
    catch (DicomException)
    {
    }
});
