using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Files.Archives;
using ServerlessMed.Imaging;
using ServerlessMed.Workflow.Encoding;
using ServerlessMed.Workflow.Local;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;
using ServerlessMed.Workflow.Zip;

namespace ServerlessMed.Workflow;

/// <summary>The one per-instance job of <c>smed deid</c>, <c>smed embed</c> and the ingest stage: open the input,
/// de-identify it (unless no de-identifier is given: <c>smed embed</c> encodes the file as it is), encode every frame
/// (when an encoder is given and the instance has pixel data), write the results through the sink and record the
/// outcome last. Bad input is quarantined with a <see cref="QuarantineCode"/>, never dropped; failures of the sink
/// itself (storage unavailable) are thrown, so the caller retries. A zip is expanded entry by entry (<see cref="ZipInputs"/>).</summary>
public sealed class InstanceWorkflow(Deidentifier? deidentifier, InstanceEncoding? encoding)
{
    /// <summary>Values longer than this stay references into the open input while parsing (see DicomReaderOptions).</summary>
    public int DeferValuesOver { get; init; } = 4096;

    /// <summary>Record keyed fingerprints of the original identifiers (the export's leak gate reads them).</summary>
    public bool RecordFingerprints { get; init; }

    public ZipLimits ZipLimits { get; init; } = new();

    /// <summary>Times a step ("deid", "encode", "write") where the caller keeps stage metrics.</summary>
    public Func<string, IDisposable?>? Measure { get; init; }

    /// <summary>Runs one input, or each entry of a zip; returns every outcome (a zip's own last).</summary>
    public async Task<IReadOnlyList<InstanceResult>> RunInputAsync(WorkflowInput input, IWorkflowSink sink, CancellationToken cancellationToken = default)
    {
        if (ZipInputs.IsZip(input))
        {
            return await new ZipInputs(this, ZipLimits).RunAsync(input, sink, cancellationToken).ConfigureAwait(false);
        }

        return [await RunAsync(input, sink, cancellationToken).ConfigureAwait(false)];
    }

    /// <summary>Runs one input that is not a zip.</summary>
    public async Task<InstanceResult> RunAsync(WorkflowInput input, IWorkflowSink sink, CancellationToken cancellationToken = default)
    {
        DicomFile original;
        DicomFile output;
        DeidResult? result = null;
        IReadOnlyList<string>? fingerprints = null;
        try
        {
            using (Measure?.Invoke("deid"))
            {
                var options = new DicomReaderOptions { SourceName = "input " + input.Label, LargeValueThreshold = DeferValuesOver };
                original = input.Handle is null ? DicomFile.Open(input.Path, options) : DicomFile.Open(input.Handle, options);
                if (deidentifier is not null)
                {
                    result = deidentifier.Deidentify(original);
                    fingerprints = RecordFingerprints ? deidentifier.Fingerprints(original) : null;
                }

                output = result?.File ?? original;
            }
        }
        catch (Exception e) when (IsInputFailure(e))
        {
            return await QuarantineAsync(input, input.Path, QuarantineStage.Deid, e, sink, cancellationToken).ConfigureAwait(false);
        }

        var uids = result is { Audit: var a } ? new InstanceUids(a.StudyInstanceUid, a.SeriesInstanceUid, a.SopInstanceUid) : UidsOf(output.Dataset);
        if (uids is null)
        {
            return await QuarantineAsync(input, input.Path, QuarantineStage.Encode, new PixelDataException("missing-uid", "the instance has no valid SOP Instance UID to name its embeddings by"), sink, cancellationToken).ConfigureAwait(false);
        }

        var hasPixels = InstanceEncoding.HasPixels(output.Dataset);
        IReadOnlyList<EncodedOutput> encoded = [];
        if (encoding is not null && hasPixels)
        {
            try
            {
                using (Measure?.Invoke("encode"))
                {
                    var (outputs, inputs) = await encoding.EncodeAsync(output, uids.Sop, cancellationToken).ConfigureAwait(false);
                    encoded = outputs;
                    if (inputs is not null && sink is ILocalInputSink keep)
                    {
                        keep.WriteInputs(uids, inputs);
                    }
                }
            }
            catch (Exception e) when (e is PixelDataException or DicomException)
            {
                return await QuarantineAsync(input, input.Path, QuarantineStage.Encode, e, sink, cancellationToken).ConfigureAwait(false);
            }
        }

        var duplicate = false;
        try
        {
            using (Measure?.Invoke("write"))
            {
                if (result is not null)
                {
                    duplicate = !await sink.WriteInstanceAsync(input, result, cancellationToken).ConfigureAwait(false);
                }

                if (encoded.Count > 0)
                {
                    await sink.WriteEmbeddingsAsync(input, uids, encoded, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (DeidOutputException e)
        {
            return await QuarantineAsync(input, input.Path, QuarantineStage.Deid, e, sink, cancellationToken).ConfigureAwait(false);
        }

        var outcome = duplicate ? InstanceOutcome.Duplicate : encoding is not null && !hasPixels ? InstanceOutcome.NoPixels : InstanceOutcome.Written;
        var record = new InstanceRecord
        {
            Input = input.Label,
            Status = outcome,
            StudyUid = uids.Study,
            SeriesUid = uids.Series,
            SopUid = uids.Sop,
            Audit = result?.Audit,
            FingerprintVersion = fingerprints is null ? null : IdentifierFingerprints.FormatVersion,
            Fingerprints = fingerprints,
            Embeddings = encoded.Count > 0 ? [.. encoded.Select(o => o.Description)] : null,
        };
        await sink.CommitAsync(input, record, output.Dataset, cancellationToken).ConfigureAwait(false);
        return new InstanceResult(input.Label, outcome, uids.Study, uids.Series, uids.Sop, encoded.Count, encoded.Count > 0 ? encoded[0].Description.Frames : 0, Audit: result?.Audit);
    }

    /// <summary>Failures of the input itself (quarantined), as opposed to the sink's (thrown).</summary>
    internal static bool IsInputFailure(Exception e) =>
        e is DicomException or DeidRejectedException or DeidOutputException or IOException or InvalidDataException or UnauthorizedAccessException or PixelDataException;

    /// <summary>Quarantines <paramref name="input"/> (the bytes of <paramref name="source"/>: the input, or for a
    /// zip entry that could not be expanded, the zip) and records it.</summary>
    internal static async Task<InstanceResult> QuarantineAsync(WorkflowInput input, string source, QuarantineStage stage, Exception e, IWorkflowSink sink, CancellationToken cancellationToken)
    {
        var (bytes, sha) = HashOrUnreadable(source);
        var record = new QuarantineRecord(input.Label, stage, QuarantineCodes.Of(e), MessageOf(e), bytes, sha);
        await sink.QuarantineAsync(input, record, sha.Length > 0 ? source : null, cancellationToken).ConfigureAwait(false);
        await sink.CommitAsync(input, new InstanceRecord { Input = input.Label, Status = InstanceOutcome.Quarantined, Quarantine = record }, null, cancellationToken).ConfigureAwait(false);
        return new InstanceResult(input.Label, InstanceOutcome.Quarantined, Quarantine: record);
    }

    /// <summary>Our exceptions' messages are PHI-free by construction; the runtime's I/O messages carry the file path,
    /// whose name may hold a patient's name, so they are replaced by what kind of failure it was.</summary>
    private static string MessageOf(Exception e) => e switch
    {
        DeidOutputException o => o.Message,
        FileNotFoundException or DirectoryNotFoundException => "the input cannot be opened (it is gone or a dangling link)",
        UnauthorizedAccessException => "the input cannot be read (permission denied)",
        IOException => $"the input cannot be read ({e.GetType().Name})",
        InvalidDataException => "not a readable zip entry",
        _ => e.Message,
    };

    /// <summary>Size and SHA-256 (lowercase hex) of a file; (-1, "") when it cannot be read at all (gone, a
    /// dangling link, no permission): such an input is still quarantined and counted, with nothing to keep.</summary>
    private static (long Bytes, string Sha256) HashOrUnreadable(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            return (length, Sha256Hex(handle, length));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (-1, string.Empty);
        }
    }

    private static string Sha256Hex(SafeFileHandle handle, long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long done = 0;
            int n;
            while (done < length && (n = RandomAccess.Read(handle, buffer, done)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                done += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static InstanceUids? UidsOf(DicomDataset ds)
    {
        var sop = ds.GetSingleValueOrDefault(DicomTag.SOPInstanceUID, string.Empty);
        return sop.Length == 0 || !DicomUID.IsValid(sop)
            ? null
            : new InstanceUids(ds.GetSingleValueOrDefault(DicomTag.StudyInstanceUID, string.Empty), ds.GetSingleValueOrDefault(DicomTag.SeriesInstanceUID, string.Empty), sop);
    }
}

/// <summary>A local sink that can keep the preprocessed input tensors (<c>smed embed --save-input</c>).</summary>
public interface ILocalInputSink
{
    void WriteInputs(InstanceUids uids, NpyFloat32Buffer inputs);
}
