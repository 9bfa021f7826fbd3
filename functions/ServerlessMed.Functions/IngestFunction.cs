using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;

namespace ServerlessMed.Functions;

/// <summary>Queue trigger on "ingest", where Event Grid delivers each BlobCreated event under uploads/. Permanent
/// failures (bad input) are quarantined by the stage and complete; a transient one (storage, Key Vault) throws, so the
/// host makes the message visible again and, after host.json's maxDequeueCount, moves it to ingest-poison.</summary>
public sealed class IngestFunction(IngestRuntime runtime, ILogger<IngestFunction> logger)
{
    [Function("ingest")]
    public async Task RunAsync([QueueTrigger("ingest", Connection = "TenantStorage")] string message, CancellationToken cancellationToken)
    {
        var stage = await runtime.StageAsync(cancellationToken);
        var outcome = await stage.HandleAsync(BlobCreatedEvent.Parse(message), cancellationToken);
        // The outcome only: the event's subject is an upload's name, which may hold PHI.
        logger.LogInformation("ingest: {Status}", outcome.Status);
    }
}
