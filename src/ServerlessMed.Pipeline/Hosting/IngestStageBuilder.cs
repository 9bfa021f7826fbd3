using Microsoft.Extensions.Logging;
using ServerlessMed.Deid;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The ingest stage as a host runs it, built in one place (<see cref="Create"/>) for the Functions app
/// (<see cref="IngestRuntime"/>) and the local hosts (<see cref="IngestHost"/>): it needs the tenant key, the policy
/// and the encoder, and sends generation requests to a queue; no diffusion model.</summary>
public static class IngestStageBuilder
{
    public static IngestStage Create(TenantStorage storage, TenantKey key, TenantPolicy policy, ImageEncoder? encoder, IJobQueue generationQueue, ILogger logger, StageMetrics metrics, EncoderBatchingOptions? batching = null) =>
        new(storage, new Deidentifier(key, policy.Deid), encoder, policy, generationQueue, logger, metrics, batching);
}
