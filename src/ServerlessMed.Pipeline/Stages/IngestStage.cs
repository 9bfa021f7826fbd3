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
using ServerlessMed.Workflow;
using ServerlessMed.Workflow.Encoding;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>The ingest driver: downloads one upload, runs it (or each entry of a zip) through the
/// <see cref="InstanceWorkflow"/> into a <see cref="BlobSink"/>, sends the generation request after each embedded
/// instance's record, and deletes the upload once everything exists. Per instance that is six requests: download,
/// de-identified write, one .npy per model output, the instance record, the generation message, the upload's delete.
/// Permanent failures (bad input, policy) are quarantined by the workflow; transient ones (storage) are thrown so the
/// message is retried. Logs carry de-identified UIDs, upload ids and content hashes only.</summary>
public sealed class IngestStage : IDisposable
{
    private readonly TenantStorage _storage;
    private readonly EncoderBatcher? _batcher;
    private readonly TenantPolicy _policy;
    private readonly IJobQueue _generationQueue;
    private readonly ILogger _logger;
    private readonly StageMetrics _metrics;
    private readonly InstanceWorkflow _workflow;
    private readonly BlobSink _sink;

    public IngestStage(TenantStorage storage, Deidentifier deidentifier, ImageEncoder? encoder, TenantPolicy policy, IJobQueue generationQueue, ILogger logger, StageMetrics? metrics = null, EncoderBatchingOptions? batching = null)
    {
        _storage = storage;
        _batcher = encoder is null ? null : new EncoderBatcher(encoder, batching);
        _policy = policy;
        _generationQueue = generationQueue;
        _logger = logger;
        _metrics = metrics ?? new StageMetrics();
        _workflow = new InstanceWorkflow(deidentifier, _batcher is null ? null : new InstanceEncoding(_batcher))
        {
            RecordFingerprints = true,
            ZipLimits = storage.Options.ZipLimits,
            DeferValuesOver = new DicomReaderOptions().LargeValueThreshold,
            Measure = _metrics.Measure,
        };
        _sink = new BlobSink(storage) { AfterCommit = AfterCommitAsync };
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

            var uploadId = StorageLayout.UploadId(name, etag.ToString());
            var results = await _workflow.RunInputAsync(new WorkflowInput(uploadId, 0, temp), _sink, cancellationToken).ConfigureAwait(false);
            foreach (var r in results)
            {
                Count(r);
            }

            // Every output and record exists: only now may the upload go (a crash before this redelivers it, and
            // the conditional writes make the second pass harmless).
            if (!_storage.Options.KeepRaw)
            {
                await blob.DeleteIfExistsAsync(conditions: new Azure.Storage.Blobs.Models.BlobRequestConditions { IfMatch = etag }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var last = results[^1];
            return last.Outcome switch
            {
                InstanceOutcome.Expanded => new IngestOutcome(IngestStatus.Expanded, QuarantineId: uploadId),
                InstanceOutcome.Quarantined => new IngestOutcome(IngestStatus.Quarantined, QuarantineId: last.Quarantine!.Folder, QuarantineCode: last.Quarantine.Code.WireName()),
                _ => new IngestOutcome(IngestStatus.Processed, last.StudyUid, last.SopUid, last.IsEmbedded),
            };
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>The counters the demo and the load bench read.</summary>
    private void Count(InstanceResult r)
    {
        switch (r.Outcome)
        {
            case InstanceOutcome.Expanded:
                _logger.LogInformation("expanded zip upload {UploadId}", r.Input);
                return;
            case InstanceOutcome.Quarantined:
                var q = r.Quarantine!;
                _metrics.Increment("quarantined");
                _metrics.Quarantined(q.Stage.WireName(), q.Code.WireName());
                _logger.LogWarning("quarantined upload {UploadId} at {Stage}: {Code} (content {Sha256})", r.Input, q.Stage.WireName(), q.Code.WireName(), q.Folder);
                return;
        }

        _metrics.Increment("deidentified");
        if (r.Outcome == InstanceOutcome.NoPixels)
        {
            _metrics.Increment("no-pixels");
        }

        if (r.IsEmbedded)
        {
            _metrics.Increment("embedded");
        }

        _logger.LogInformation("de-identified instance {SopUid} of study {StudyUid}{Embedded}", r.SopUid, r.StudyUid, r.IsEmbedded ? ", embedded" : r.Outcome == InstanceOutcome.NoPixels ? "; no pixel data, nothing to embed" : string.Empty);
    }

    /// <summary>After an instance's record: the generation request, for an embedded instance of a modality the policy
    /// generates for (sent after the record, before the upload is deleted; a redelivery sends the same request id,
    /// which the queue's duplicate detection and the worker's conditional writes absorb).</summary>
    private async Task AfterCommitAsync(InstanceRecord record, DicomDataset ds, CancellationToken ct)
    {
        if (record is not { Embeddings.Count: > 0, Audit: { } audit } || !WantsGeneration(audit.Modality))
        {
            return;
        }

        var message = BuildGenerationMessage(ds, audit, StorageLayout.DeidInstance(audit.StudyInstanceUid, audit.SeriesInstanceUid, audit.SopInstanceUid));
        await _generationQueue.SendAsync(message.ToJson(), ct).ConfigureAwait(false);
        _metrics.Increment("generation-requests");
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
