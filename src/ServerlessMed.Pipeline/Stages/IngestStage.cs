using System.Globalization;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Logging;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Files.Archives;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>One upload through de-identification, encoding and the generation request. Outputs are written
/// conditionally under de-identified names; the upload is deleted only after all of them exist. Permanent
/// failures (bad input, policy) quarantine the upload; transient ones (storage) are thrown so the message is retried.
/// Logs carry de-identified UIDs and quarantine ids only.</summary>
public sealed class IngestStage : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly TenantStorage _storage;
    private readonly Deidentifier _deidentifier;
    private readonly ImageEncoder? _encoder;
    private readonly EncoderBatcher? _batcher;
    private readonly TenantPolicy _policy;
    private readonly IJobQueue _generationQueue;
    private readonly ILogger _logger;
    private readonly StageMetrics _metrics;
    private readonly QuarantineWriter _quarantine;

    public IngestStage(TenantStorage storage, Deidentifier deidentifier, ImageEncoder? encoder, TenantPolicy policy, IJobQueue generationQueue, ILogger logger, StageMetrics? metrics = null, EncoderBatchingOptions? batching = null)
    {
        _storage = storage;
        _deidentifier = deidentifier;
        _encoder = encoder;
        _batcher = encoder is null ? null : new EncoderBatcher(encoder, batching);
        _policy = policy;
        _generationQueue = generationQueue;
        _logger = logger;
        _metrics = metrics ?? new StageMetrics();
        _quarantine = new QuarantineWriter(storage);
    }

    public StageMetrics Metrics => _metrics;

    /// <summary>Encoder session runs and the frames they carried, across all instances handled so far.</summary>
    public (long Runs, long Frames) EncoderRuns => _batcher?.Counts ?? (0, 0);

    /// <summary>Stops the encoder batching loop (after the runs already queued).</summary>
    public void Dispose() => _batcher?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async Task<IngestOutcome> HandleAsync(BlobCreatedEvent ev, CancellationToken cancellationToken = default)
    {
        if (ev.EventType != BlobCreatedEvent.EventTypeName)
        {
            return new IngestOutcome(IngestStatus.Ignored);
        }

        var (container, name) = ev.ParseSubject();
        if (container != _storage.Options.Uploads)
        {
            return new IngestOutcome(IngestStatus.Ignored);
        }

        var blob = _storage.Container(container).GetBlobClient(name);
        var temp = Path.Combine(Path.GetTempPath(), "smed-ingest-" + Guid.NewGuid().ToString("N"));
        var deidTemp = temp + ".deid";
        try
        {
            ETag etag;
            try
            {
                using (_metrics.Measure("download"))
                {
                    var download = await blob.DownloadToAsync(temp, cancellationToken).ConfigureAwait(false);
                    etag = download.Headers.ETag ?? default;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                _logger.LogInformation("upload already processed (event {EventId})", ev.Id);
                return new IngestOutcome(IngestStatus.AlreadyProcessed);
            }

            var qid = StorageLayout.QuarantineId(name, etag.ToString());
            var size = new FileInfo(temp).Length;
            if (ZipExpander.IsZip(temp))
            {
                return await HandleZipAsync(temp, qid, size, ev.Id, name, etag, cancellationToken).ConfigureAwait(false);
            }

            return await ProcessInstanceAsync(temp, deidTemp, qid, size, ev.Id, name, etag, deleteUpload: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            TryDelete(temp);
            TryDelete(deidTemp);
        }
    }

    /// <summary>A zip upload: checked against the limits first (a bomb is quarantined whole, never expanded), then
    /// each entry expanded to a scratch file while streaming and ingested as an instance with its own receipt
    /// ("{upload}#{n}"); the zip is deleted after its last entry.</summary>
    private async Task<IngestOutcome> HandleZipAsync(string temp, string qid, long size, string eventId, string name, ETag etag, CancellationToken cancellationToken)
    {
        int count;
        try
        {
            count = ZipExpander.Validate(temp, _storage.Options.ZipLimits);
        }
        catch (ZipRejectedException e)
        {
            return await QuarantineAsync(qid, temp, "expand", e.Code, e.Message, size, eventId, name, etag, deleteUpload: true, cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < count; i++)
        {
            var entryQid = StorageLayout.QuarantineId($"{name}#{i + 1}", etag.ToString());
            var entry = $"{temp}.{i}";
            try
            {
                try
                {
                    ZipExpander.ExtractEntry(temp, i, entry, _storage.Options.ZipLimits);
                }
                catch (Exception e) when (e is ZipRejectedException or InvalidDataException)
                {
                    await QuarantineAsync(entryQid, File.Exists(entry) ? entry : temp, "expand", e is ZipRejectedException z ? z.Code : "zip-unreadable", e.Message, size, eventId, name, etag, deleteUpload: false, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await ProcessInstanceAsync(entry, entry + ".deid", entryQid, new FileInfo(entry).Length, eventId, name, etag, deleteUpload: false, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                TryDelete(entry);
                TryDelete(entry + ".deid");
            }
        }

        await WriteReceiptAsync(new UploadReceipt(qid, "expanded", null, null, false, null, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
        if (!_storage.Options.KeepRaw)
        {
            await DeleteUploadAsync(name, etag, cancellationToken).ConfigureAwait(false);
        }

        _logger.LogInformation("expanded zip upload {QuarantineId}: {Count} entries", qid, count);
        return new IngestOutcome(IngestStatus.Expanded, QuarantineId: qid);
    }

    private async Task<IngestOutcome> ProcessInstanceAsync(string temp, string deidTemp, string qid, long size, string eventId, string name, ETag etag, bool deleteUpload, CancellationToken cancellationToken)
    {
        DeidResult result;
        DicomFile input;
        try
        {
            using (_metrics.Measure("deid"))
            {
                input = DicomFile.Open(temp, new DicomReaderOptions { SourceName = "upload " + qid });
                result = _deidentifier.Deidentify(input);
                result.File.Save(deidTemp);
            }
        }
        catch (Exception e) when (e is DicomException or DeidRejectedException)
        {
            return await QuarantineAsync(qid, temp, "deid", e is DeidRejectedException r ? r.Code : CodeOf(e), e.Message, size, eventId, name, etag, deleteUpload, cancellationToken).ConfigureAwait(false);
        }

        var audit = result.Audit;
        var ds = result.File.Dataset;
        var hasPixels = ds.Contains(DicomTag.PixelData) || ds.Contains(DicomTag.FloatPixelData) || ds.Contains(DicomTag.DoubleFloatPixelData);
        NpyFloat32Buffer? embeddings = null;
        if (hasPixels && _encoder is not null)
        {
            try
            {
                using (_metrics.Measure("encode"))
                {
                    embeddings = await EncodeAsync(result.File, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is PixelDataException or DicomException)
            {
                return await QuarantineAsync(qid, temp, "encode", e is PixelDataException p ? p.Code : CodeOf(e), e.Message, size, eventId, name, etag, deleteUpload, cancellationToken).ConfigureAwait(false);
            }
        }

        string? requestId = null;
        var duplicate = false;
        using (_metrics.Measure("write"))
        {
            var deidName = StorageLayout.DeidInstance(audit.StudyInstanceUid, audit.SeriesInstanceUid, audit.SopInstanceUid);
            duplicate = !await _storage.WriteOnceAsync(_storage.Options.Deid, deidName, deidTemp, "application/dicom", cancellationToken).ConfigureAwait(false);
            if (embeddings is not null)
            {
                await WriteEmbeddingAsync(audit, embeddings, cancellationToken).ConfigureAwait(false);
            }

            await _storage.WriteOnceAsync(_storage.Options.Audit, StorageLayout.Audit(audit.StudyInstanceUid, audit.SopInstanceUid), BinaryData.FromString(JsonSerializer.Serialize(audit, Json)), "application/json", cancellationToken).ConfigureAwait(false);
            var fingerprints = new IdentifierFingerprintRecord(IdentifierFingerprints.FormatVersion, _deidentifier.Fingerprints(input));
            await _storage.WriteOnceAsync(_storage.Options.Audit, StorageLayout.IdentifierFingerprints(audit.StudyInstanceUid, audit.SopInstanceUid), BinaryData.FromString(JsonSerializer.Serialize(fingerprints, Json)), "application/json", cancellationToken).ConfigureAwait(false);

            if (hasPixels && embeddings is not null && WantsGeneration(audit.Modality))
            {
                var message = BuildGenerationMessage(ds, audit, deidName);
                requestId = message.RequestId;
                await _generationQueue.SendAsync(message.ToJson(), cancellationToken).ConfigureAwait(false);
                _metrics.Increment("generation-requests");
            }
        }

        await WriteReceiptAsync(new UploadReceipt(qid, "processed", audit.StudyInstanceUid, audit.SopInstanceUid, duplicate, null, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
        if (deleteUpload && !_storage.Options.KeepRaw)
        {
            await DeleteUploadAsync(name, etag, cancellationToken).ConfigureAwait(false);
        }

        _metrics.Increment("deidentified");
        if (embeddings is not null)
        {
            _metrics.Increment("embedded");
        }

        _logger.LogInformation("de-identified instance {SopUid} of study {StudyUid}{Embedded}", audit.SopInstanceUid, audit.StudyInstanceUid, embeddings is null ? string.Empty : ", embedded");
        return new IngestOutcome(IngestStatus.Processed, audit.StudyInstanceUid, audit.SopInstanceUid, embeddings is not null, requestId);
    }

    private Task DeleteUploadAsync(string name, ETag etag, CancellationToken ct) =>
        _storage.Container(_storage.Options.Uploads).GetBlobClient(name).DeleteIfExistsAsync(conditions: new Azure.Storage.Blobs.Models.BlobRequestConditions { IfMatch = etag }, cancellationToken: ct);

    /// <summary>Every frame's first-output embedding, written straight from the encoder run into the .npy that is
    /// uploaded (frames × values). Frames are preprocessed a batch at a time (bounded memory for large multi-frame
    /// instances) and queued with other instances' frames into shared encoder runs.</summary>
    private async Task<NpyFloat32Buffer> EncodeAsync(DicomFile file, CancellationToken ct)
    {
        var ds = file.Dataset;
        var frames = PixelDataInfo.FromDataset(ds).NumberOfFrames;
        var per = _encoder!.Manifest.Outputs[0].Shape.Aggregate(1, (a, b) => a * b);
        var npy = new NpyFloat32Buffer([frames, per]);
        const int chunk = 8;
        for (var start = 0; start < frames; start += chunk)
        {
            var inputs = new List<float[]>(chunk);
            for (var f = start; f < Math.Min(frames, start + chunk); f++)
            {
                inputs.Add(_encoder.Preprocess(ds, file.TransferSyntax, f));
            }

            var first = start;
            await _batcher!.EncodeAsync(inputs, (frame, output, values) =>
            {
                if (output == 0)
                {
                    values.CopyTo(npy.Values.Slice((first + frame) * per, per));
                }
            }, ct).ConfigureAwait(false);
        }

        return npy;
    }

    private async Task WriteEmbeddingAsync(DeidAuditRecord audit, NpyFloat32Buffer embeddings, CancellationToken ct)
    {
        var per = _encoder!.Manifest.Outputs[0].Shape.Aggregate(1, (a, b) => a * b);
        var frames = embeddings.Count / per;
        var key = _encoder.ModelKey;
        var meta = new
        {
            model = _encoder.Manifest.Id,
            version = _encoder.Manifest.Version,
            output = _encoder.Manifest.Outputs[0].Name,
            shape = new[] { frames, per },
            dtype = "float32",
            modelSha256 = _encoder.Sha256,
            frames,
            studyInstanceUid = audit.StudyInstanceUid,
            seriesInstanceUid = audit.SeriesInstanceUid,
            sopInstanceUid = audit.SopInstanceUid,
            provider = _encoder.Provider,
        };
        await _storage.WriteOnceAsync(_storage.Options.Embeddings, StorageLayout.Embedding(key, audit.StudyInstanceUid, audit.SeriesInstanceUid, audit.SopInstanceUid, "npy"), BinaryData.FromBytes(embeddings.Bytes), "application/octet-stream", ct).ConfigureAwait(false);
        await _storage.WriteOnceAsync(_storage.Options.Embeddings, StorageLayout.Embedding(key, audit.StudyInstanceUid, audit.SeriesInstanceUid, audit.SopInstanceUid, "json"), BinaryData.FromString(JsonSerializer.Serialize(meta, Json)), "application/json", ct).ConfigureAwait(false);
    }

    private bool WantsGeneration(string modality) =>
        _policy.Generation.Enabled && (_policy.Generation.Modalities.Count == 0 || _policy.Generation.Modalities.Contains(modality, StringComparer.OrdinalIgnoreCase));

    private GenerationMessage BuildGenerationMessage(DicomDataset ds, DeidAuditRecord audit, string deidName)
    {
        var g = _policy.Generation;
        var modality = ds.GetSingleValueOrDefault(DicomTag.Modality, "medical");
        var bodyPart = ds.GetSingleValueOrDefault(DicomTag.BodyPartExamined, "body");
        var prompt = g.Prompt.Replace("{modality}", modality.ToLowerInvariant(), StringComparison.Ordinal)
            .Replace("{bodyPart}", bodyPart.Length == 0 ? "body" : bodyPart.ToLowerInvariant(), StringComparison.Ordinal);
        var guidance = (float)g.GuidanceScale;
        var id = GenerationMessage.DeriveRequestId(audit.SopInstanceUid, prompt, g.Steps, guidance, g.Count);
        return new GenerationMessage
        {
            RequestId = id,
            TraceParent = Telemetry.PipelineTelemetry.CurrentTraceParent,
            StudyUid = audit.StudyInstanceUid,
            SeriesUid = audit.SeriesInstanceUid,
            SopUid = audit.SopInstanceUid,
            DeidBlob = deidName,
            Prompt = prompt,
            Steps = g.Steps,
            GuidanceScale = guidance,
            Count = g.Count,
            Seed = int.Parse(id[1..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        };
    }

    private async Task<IngestOutcome> QuarantineAsync(string qid, string path, string stage, string code, string message, long size, string eventId, string uploadName, ETag etag, bool deleteUpload, CancellationToken ct)
    {
        var reason = new QuarantineReason(qid, stage, code, message, size, DateTimeOffset.UtcNow, eventId);
        await _quarantine.WriteAsync(qid, path, reason, ct).ConfigureAwait(false);
        await WriteReceiptAsync(new UploadReceipt(qid, "quarantined", null, null, false, code, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        if (deleteUpload && !_storage.Options.KeepRaw)
        {
            await DeleteUploadAsync(uploadName, etag, ct).ConfigureAwait(false);
        }

        _metrics.Increment("quarantined");
        _metrics.Quarantined(stage, code);
        _logger.LogWarning("quarantined upload {QuarantineId} at {Stage}: {Code}", qid, stage, code);
        return new IngestOutcome(IngestStatus.Quarantined, QuarantineId: qid, QuarantineCode: code);
    }

    private Task<bool> WriteReceiptAsync(UploadReceipt receipt, CancellationToken ct) =>
        _storage.WriteOnceAsync(_storage.Options.Audit, StorageLayout.UploadReceipt(receipt.UploadId), BinaryData.FromString(JsonSerializer.Serialize(receipt, Json)), "application/json", ct);

    private static string CodeOf(Exception e) => e switch
    {
        DicomTruncatedException => "truncated",
        DicomLimitExceededException => "limit-exceeded",
        DicomFormatException => "not-dicom-or-malformed",
        DicomValueException => "bad-value",
        _ => "dicom-error",
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
