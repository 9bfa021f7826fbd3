using Microsoft.Extensions.Logging;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The queue pumps of the two stages, configured in one place for every host that runs them (the GPU worker
/// and <c>smed run</c>/<c>smed demo</c> for generation; the local runs for ingest, which the Functions host pumps in
/// Azure).</summary>
public static class StageProcessors
{
    public static QueueProcessor Ingest(IngestStage stage, IJobQueue queue, TenantStorageOptions options, ILogger logger) =>
        new(queue, async (m, ct) => await stage.HandleAsync(BlobCreatedEvent.Parse(m.Body), ct).ConfigureAwait(false), FailureClassifier.Classify, logger)
        {
            MaxDeliveryCount = options.MaxDeliveryCount,
            Lease = options.Lease,
            BatchSize = options.IngestConcurrency,
            Concurrency = options.IngestConcurrency,
        };

    /// <summary>One request at a time (a job holds the device); dead letters get their failure document.</summary>
    public static QueueProcessor Generation(GenerationStage stage, IJobQueue queue, TenantStorageOptions options, ILogger logger) =>
        new(queue, async (m, ct) => await stage.HandleAsync(GenerationMessage.Parse(m.Body), ct).ConfigureAwait(false), FailureClassifier.Classify, logger)
        {
            MaxDeliveryCount = options.MaxDeliveryCount,
            Lease = options.Lease,
            BatchSize = 1,
            OnDeadLetter = stage.WriteFailureAsync,
        };
}
