using System.Text.Json;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>One generation request: render the de-identified source, run latent diffusion, write
/// <c>{n}.png</c> and <c>{n}.dcm</c> per image and <c>request.json</c> (provenance) last under
/// generated/{study'}/{request}/: request.json's presence marks a complete request. Every write is conditional,
/// so a redelivered request finds its outputs already there and changes nothing.</summary>
public sealed class GenerationStage(TenantStorage storage, DiffusionPipeline pipeline, ILogger logger, StageMetrics? metrics = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public StageMetrics Metrics { get; } = metrics ?? new StageMetrics();

    /// <summary>Images denoised per UNet batch before any out-of-memory fallback.</summary>
    public int ImagesPerBatch { get; init; } = 4;

    public async Task<int> HandleAsync(GenerationMessage message, CancellationToken cancellationToken = default)
    {
        var container = storage.Options.Generated;
        if (message.ModelId is { } wanted && wanted != pipeline.Model.Id)
        {
            throw new GenerationFailedException("model-unavailable", $"this worker serves model '{pipeline.Model.Id}', the request asks for '{wanted}'");
        }

        var source = await DownloadSourceAsync(message, cancellationToken).ConfigureAwait(false);
        Image8 rendered;
        using (Metrics.Measure("preview"))
        {
            var frame = FrameDecoder.Decode(source.Dataset, source.TransferSyntax, 0);
            rendered = Renderer.Render(source.Dataset, frame);
            await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, "source.png"), BinaryData.FromBytes(PngWriter.Encode(Resampler.Fit(rendered, 256))), "image/png", cancellationToken).ConfigureAwait(false);
        }

        var request = ToRequest(message, rendered);
        var timings = new GenerationTimings();
        IReadOnlyList<Image8> images;
        using (Metrics.Measure("generate"))
        {
            images = GenerateWithMemoryFallback(request, timings, message.RequestId, cancellationToken);
        }

        using (Metrics.Measure("write-generated"))
        {
            var uids = new List<string>(images.Count);
            for (var n = 0; n < images.Count; n++)
            {
                await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, $"{n}.png"), BinaryData.FromBytes(PngWriter.Encode(images[n])), "image/png", cancellationToken).ConfigureAwait(false);
                var dicom = SyntheticInstanceBuilder.Build(source.Dataset, images[n], new SyntheticProvenance(message.RequestId, n, request.PromptText, pipeline.Model.Id, pipeline.Model.Hash));
                using var ms = new MemoryStream();
                dicom.Save(ms);
                uids.Add(dicom.Dataset.GetString(DicomTag.SOPInstanceUID));
                await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, $"{n}.dcm"), BinaryData.FromBytes(ms.ToArray()), "application/dicom", cancellationToken).ConfigureAwait(false);
            }

            var provenance = GenerationProvenance.Create(message, request, pipeline, timings, uids);
            await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, "request.json"), BinaryData.FromString(JsonSerializer.Serialize(provenance, Json)), "application/json", cancellationToken).ConfigureAwait(false);
        }

        Metrics.Increment("generated", images.Count);
        logger.LogInformation("generated {Count} image(s) for request {RequestId} of study {StudyUid} on {Provider}", images.Count, message.RequestId, message.StudyUid, pipeline.Model.Provider);
        return images.Count;
    }

    /// <summary>The failure document of a dead-lettered request, beside where its outputs would have gone (or under
    /// generated/_failed/ when the message could not even be read). Holds only ids, codes and PHI-free messages.</summary>
    public async Task WriteFailureAsync(JobMessage job, string reason, Exception? error, CancellationToken cancellationToken = default)
    {
        GenerationMessage? message = null;
        try
        {
            message = GenerationMessage.Parse(job.Body);
        }
        catch (JsonException)
        {
        }

        var name = message is null
            ? $"_failed/{StorageLayout.SafeName(job.Id)}.json"
            : StorageLayout.Generated(message.StudyUid, message.RequestId, "failure.json");
        var document = new
        {
            requestId = message?.RequestId,
            messageId = job.Id,
            deliveries = job.DequeueCount,
            code = error is GenerationFailedException g ? g.Code : reason,
            error = error?.GetType().Name,
            message = error is GenerationFailedException or InvalidDataException or ArgumentException ? error.Message : null,
            at = DateTimeOffset.UtcNow,
        };
        try
        {
            await storage.WriteOnceAsync(storage.Options.Generated, name, BinaryData.FromString(JsonSerializer.Serialize(document, Json)), "application/json", cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // An earlier delivery already recorded its failure.
        }
    }

    private async Task<DicomFile> DownloadSourceAsync(GenerationMessage message, CancellationToken ct)
    {
        try
        {
            var content = await storage.Container(storage.Options.Deid).GetBlobClient(message.DeidBlob).DownloadContentAsync(ct).ConfigureAwait(false);
            return DicomFile.Open(new MemoryStream(content.Value.Content.ToArray(), writable: false), new Dicom.IO.DicomReaderOptions { SourceName = message.SopUid });
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new GenerationFailedException("source-missing", "the de-identified source of the request does not exist");
        }
    }

    private GenerationRequest ToRequest(GenerationMessage message, Image8 rendered) => new()
    {
        Prompts = message.Prompts.Count > 0 ? [.. message.Prompts.Select(p => new WeightedPrompt(p.Text, p.Weight))] : [new WeightedPrompt(message.Prompt)],
        NegativePrompt = message.NegativePrompt,
        Steps = message.Steps,
        GuidanceScale = message.GuidanceScale,
        Seed = message.Seed,
        Count = message.Count,
        Scheduler = message.Scheduler,
        InitImage = message.Strength is null ? null : rendered,
        Strength = message.Strength ?? 0.8f,
        ImagesPerBatch = Math.Min(ImagesPerBatch, message.Count),
    };

    private IReadOnlyList<Image8> GenerateWithMemoryFallback(GenerationRequest request, GenerationTimings timings, string requestId, CancellationToken ct)
    {
        try
        {
            return WithMemoryFallback(request, r => pipeline.Generate(r, timings, ct), logger, requestId);
        }
        catch (ArgumentException e)
        {
            throw new GenerationFailedException("invalid-request", e.Message);
        }
    }

    /// <summary>Out of device memory: halve the UNet batch and try again (results do not depend on the batch); at
    /// one image per batch the error is transient (another worker, or this one later, may have room).</summary>
    public static IReadOnlyList<T> WithMemoryFallback<T>(GenerationRequest request, Func<GenerationRequest, IReadOnlyList<T>> generate, ILogger logger, string requestId)
    {
        while (true)
        {
            try
            {
                return generate(request);
            }
            catch (Exception e) when (IsOutOfMemory(e))
            {
                if (request.ImagesPerBatch <= 1)
                {
                    throw new InsufficientMemoryException("the device ran out of memory at one image per batch");
                }

                var smaller = request with { ImagesPerBatch = request.ImagesPerBatch / 2 };
                logger.LogWarning("request {RequestId}: out of device memory at {Batch} image(s) per batch; retrying with {Smaller}", requestId, request.ImagesPerBatch, smaller.ImagesPerBatch);
                request = smaller;
            }
        }
    }

    public static bool IsOutOfMemory(Exception e) =>
        e is OnnxRuntimeException or OutOfMemoryException && (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("Failed to allocate memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("CUDNN_STATUS_ALLOC_FAILED", StringComparison.Ordinal)
        || e.Message.Contains("bad_alloc", StringComparison.Ordinal));
}

/// <summary>A request that cannot succeed however often it is retried (it is dead-lettered with this code).</summary>
public sealed class GenerationFailedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
