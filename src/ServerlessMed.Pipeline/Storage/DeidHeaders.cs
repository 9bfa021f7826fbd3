using Azure.Storage.Blobs.Models;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>The header (everything before the pixel data) of a de-identified instance in storage, read from the
/// first bytes of the blob where they hold it, else from the whole blob.</summary>
public static class DeidHeaders
{
    private const int FirstRange = 64 * 1024;

    public static async Task<DicomDataset> ReadAsync(TenantStorage storage, string study, string series, string sop, CancellationToken cancellationToken = default)
    {
        var name = StorageLayout.DeidInstance(study, series, sop);
        var blob = storage.Container(storage.Options.Deid).GetBlobClient(name);
        var options = new DicomReaderOptions { StopAtTag = DicomTag.PixelData, SourceName = $"{storage.Options.Deid}/{name}" };
        var head = await blob.DownloadContentAsync(new BlobDownloadOptions { Range = new Azure.HttpRange(0, FirstRange) }, cancellationToken).ConfigureAwait(false);
        var bytes = head.Value.Content.ToArray();
        try
        {
            return DicomFile.Open(new MemoryStream(bytes, writable: false), options).Dataset;
        }
        catch (DicomException) when (bytes.Length == FirstRange)
        {
            // A header longer than the first range (large private blocks, an icon): read it all.
            var whole = await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return DicomFile.Open(whole.Value.Content.ToStream(), options).Dataset;
        }
    }
}
