using System.Text.Json;
using Azure;
using Microsoft.Extensions.Logging;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>One generation request: render the de-identified source, run latent diffusion, write PNG + DICOM + JSON
/// per image under generated/{study'}/{request}/. The JSON is written last: its presence marks a complete image.</summary>
public sealed class GenerationStage(TenantStorage storage, DiffusionPipeline pipeline, string modelName, ILogger logger, StageMetrics? metrics = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public StageMetrics Metrics { get; } = metrics ?? new StageMetrics();

    public async Task<int> HandleAsync(GenerationMessage message, CancellationToken cancellationToken = default)
    {
        var container = storage.Options.Generated;
        var temp = Path.Combine(Path.GetTempPath(), "smed-gen-" + Guid.NewGuid().ToString("N"));
        try
        {
            try
            {
                await storage.Container(storage.Options.Deid).GetBlobClient(message.DeidBlob).DownloadToAsync(temp, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new GenerationFailedException("source-missing", "the de-identified source of the request does not exist");
            }

            var source = DicomFile.Open(temp, new Dicom.IO.DicomReaderOptions { SourceName = message.SopUid });
            using (Metrics.Measure("preview"))
            {
                var frame = FrameDecoder.Decode(source.Dataset, source.TransferSyntax, 0);
                var preview = Resampler.Fit(Renderer.Render(source.Dataset, frame), 256);
                await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, "source.png"), BinaryData.FromBytes(PngWriter.Encode(preview)), "image/png", cancellationToken).ConfigureAwait(false);
            }

            IReadOnlyList<Image8> images;
            var timings = new GenerationTimings();
            using (Metrics.Measure("generate"))
            {
                images = pipeline.Generate(new GenerationRequest
                {
                    Prompt = message.Prompt,
                    NegativePrompt = message.NegativePrompt,
                    Steps = message.Steps,
                    GuidanceScale = message.GuidanceScale,
                    Seed = message.Seed,
                    Count = message.Count,
                }, timings, cancellationToken);
            }

            using (Metrics.Measure("write-generated"))
            {
                for (var n = 0; n < images.Count; n++)
                {
                    var png = PngWriter.Encode(images[n]);
                    await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, $"{n}.png"), BinaryData.FromBytes(png), "image/png", cancellationToken).ConfigureAwait(false);
                    var dicom = SyntheticInstanceBuilder.Build(source.Dataset, images[n], message.RequestId, n, message.Prompt);
                    using var ms = new MemoryStream();
                    dicom.Save(ms);
                    await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, $"{n}.dcm"), BinaryData.FromBytes(ms.ToArray()), "application/dicom", cancellationToken).ConfigureAwait(false);
                    var meta = new
                    {
                        requestId = message.RequestId,
                        index = n,
                        model = modelName,
                        prompt = message.Prompt,
                        steps = message.Steps,
                        guidanceScale = message.GuidanceScale,
                        seed = message.Seed + n,
                        width = images[n].Width,
                        height = images[n].Height,
                        sourceSopInstanceUid = message.SopUid,
                        sopInstanceUid = dicom.Dataset.GetString(DicomTag.SOPInstanceUID),
                    };
                    await storage.WriteOnceAsync(container, StorageLayout.Generated(message.StudyUid, message.RequestId, $"{n}.json"), BinaryData.FromString(JsonSerializer.Serialize(meta, Json)), "application/json", cancellationToken).ConfigureAwait(false);
                }
            }

            Metrics.Increment("generated", images.Count);
            logger.LogInformation("generated {Count} image(s) for request {RequestId} of study {StudyUid}", images.Count, message.RequestId, message.StudyUid);
            return images.Count;
        }
        finally
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>A request that cannot succeed however often it is retried (it is dead-lettered with this code).</summary>
public sealed class GenerationFailedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
