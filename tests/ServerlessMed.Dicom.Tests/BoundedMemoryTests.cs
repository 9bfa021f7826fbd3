using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Dicom.Tests;

/// <summary>Memory does not grow with file size: a 1 GB multi-frame file (sparse on disk) is read with its pixel
/// data left as a reference, and written by streaming.</summary>
public sealed class BoundedMemoryTests
{
    [Fact]
    public void Reading_a_1GB_multiframe_file_allocates_a_few_MB_at_most()
    {
        const int frames = 4096;
        const int rows = 512, columns = 256; // 256 KiB per 16-bit frame → 1 GiB
        var path = Path.Combine(Path.GetTempPath(), "smed-1gb-" + Guid.NewGuid().ToString("N") + ".dcm");
        try
        {
            WriteSparseMultiframe(path, frames, rows, columns);
            Assert.True(new FileInfo(path).Length > 1L << 30);

            DicomFile.Open(path); // warm up: dictionary, JIT
            var before = GC.GetAllocatedBytesForCurrentThread();
            var file = DicomFile.Open(path);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.True(file.Dataset.TryGetElement(DicomTag.PixelData, out var pixels));
            Assert.False(pixels.Buffer.IsLoaded);
            Assert.Equal(1L << 30, pixels.Length);
            Assert.True(allocated < 4 * 1024 * 1024, $"reading the header allocated {allocated:N0} bytes");

            // Writing streams the pixel data through a fixed buffer.
            var before2 = GC.GetAllocatedBytesForCurrentThread();
            file.Save(Stream.Null);
            var allocated2 = GC.GetAllocatedBytesForCurrentThread() - before2;
            Assert.True(allocated2 < 8 * 1024 * 1024, $"writing allocated {allocated2:N0} bytes");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void WriteSparseMultiframe(string path, int frames, int rows, int columns)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPClassUID, DicomVR.UI, DicomUID.MultiFrameGrayscaleWordSecondaryCaptureImageStorage);
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, DicomUID.Generate());
        ds.AddOrUpdate<int>(DicomTag.NumberOfFrames, DicomVR.IS, frames);
        ds.AddOrUpdate<ushort>(DicomTag.Rows, DicomVR.US, (ushort)rows);
        ds.AddOrUpdate<ushort>(DicomTag.Columns, DicomVR.US, (ushort)columns);
        ds.AddOrUpdate<ushort>(DicomTag.BitsAllocated, DicomVR.US, 16);
        var header = new MemoryStream();
        new DicomFile(ds).Save(header);
        using var fs = new FileStream(path, FileMode.CreateNew);
        fs.Write(header.ToArray());
        // (7FE0,0010) OW, 4-byte length, then a hole: the file system stores no data for it.
        fs.Write([0xE0, 0x7F, 0x10, 0x00, (byte)'O', (byte)'W', 0, 0]);
        fs.Write(BitConverter.GetBytes((uint)(1 << 30)));
        fs.SetLength(fs.Position + (1L << 30));
    }
}
