using ServerlessMed.Dicom.IO;
using ServerlessMed.Testing;

namespace ServerlessMed.Dicom.Tests;

/// <summary>A file read through the caller's handle: large values stay in the file and are read later with
/// positional reads through that handle, whole, by range, copied in the kernel or byte-swapped on the way out.</summary>
public sealed class FileHandleSourceTests
{
    [Theory]
    [InlineData("pydicom/CT_small.dcm")] // little endian: the copy can go file to file in the kernel
    [InlineData("pydicom/MR_small_bigendian.dcm")] // big endian: swapped through a buffer on the way to little endian
    [InlineData("pydicom/SC_rgb_rle_16bit_2frame.dcm")] // encapsulated: fragments deferred one by one
    [InlineData("dicomParser/IM00001.fragmented_no_bot_jpeg_baseline.50.dcm")] // 44 fragments back to back: one copy
    public void Deferred_values_read_through_the_handle_equal_loaded_ones(string relativePath)
    {
        var path = Corpus.Get(relativePath).FullPath;
        var loaded = DicomFile.Open(path, new DicomReaderOptions { LargeValueThreshold = int.MaxValue });
        var options = new DicomReaderOptions { LargeValueThreshold = 256, SourceName = "handle" };
        var dir = Directory.CreateTempSubdirectory("smed-handle").FullName;
        var output = Path.Combine(dir, "out.dcm");
        using (var handle = File.OpenHandle(path))
        {
            var file = DicomFile.Open(handle, options);
            var deferred = file.Dataset.OfType<DicomElement>().Where(e => e.Buffer is StreamRangeBuffer).ToList();
            var fragments = file.Dataset.OfType<DicomFragmentSequence>().SelectMany(f => f.Fragments).OfType<StreamRangeBuffer>().ToList();
            Assert.True(deferred.Count + fragments.Count > 0, "nothing was deferred");
            Assert.All(deferred.Select(e => e.Buffer).Concat(fragments), b => Assert.IsType<FileHandleSource>(((StreamRangeBuffer)b).Source));
            Assert.Empty(DicomDatasetComparer.Differences(loaded.Dataset, file.Dataset));

            foreach (var e in deferred)
            {
                Assert.True(loaded.Dataset.TryGetElement(e.Tag, out var original));
                var whole = original.Buffer.GetMemory().ToArray();
                Assert.Equal(whole, e.Buffer.GetMemory().ToArray());
                var part = new byte[Math.Min(100, whole.Length - 2)];
                e.Buffer.ReadRange(2, part);
                Assert.Equal(whole.AsSpan(2, part.Length).ToArray(), part);
            }

            file.Save(output);
        }

        // Written after the reads above moved nothing: the output reads back equal to the loaded input, and its bytes
        // are those of the loaded input written (deferred values read into the write buffer or copied in the kernel,
        // fragments that lie back to back copied as one range with their item headers).
        Assert.Empty(DicomDatasetComparer.Differences(loaded.Dataset, DicomFile.Open(output).Dataset));
        var fromMemory = Path.Combine(dir, "loaded.dcm");
        loaded.Save(fromMemory);
        Assert.Equal(File.ReadAllBytes(fromMemory), File.ReadAllBytes(output));
    }
}
