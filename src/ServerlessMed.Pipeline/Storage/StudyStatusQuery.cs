using Azure.Storage.Blobs.Models;
using ServerlessMed.Dicom;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>What exists for one de-identified study: its instances and generated files. Behind the HTTP status
/// function; the study must be a de-identified UID (2.25....), so a caller cannot probe with an original one and no
/// text a caller sends is echoed back.</summary>
public sealed class StudyStatusQuery(TenantStorage storage)
{
    public async Task<StudyStatus?> GetAsync(string study, CancellationToken cancellationToken = default)
    {
        if (!IsDeidentifiedUid(study))
        {
            return null;
        }

        return new StudyStatus(study, await CountAsync(storage.Options.Deid, study, cancellationToken).ConfigureAwait(false), await CountAsync(storage.Options.Generated, study, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Replacement UIDs are "2.25." and a decimal integer (see the design's de-identification).</summary>
    public static bool IsDeidentifiedUid(string uid) => uid.StartsWith("2.25.", StringComparison.Ordinal) && DicomUID.IsValid(uid);

    private async Task<int> CountAsync(string container, string study, CancellationToken cancellationToken)
    {
        var n = 0;
        await foreach (var _ in storage.Container(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, study + "/", cancellationToken).ConfigureAwait(false))
        {
            n++;
        }

        return n;
    }
}

/// <summary>The status function's answer.</summary>
public sealed record StudyStatus(string Study, int Instances, int GeneratedFiles);
