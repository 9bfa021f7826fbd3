using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using ServerlessMed.Search.Stage;

namespace ServerlessMed.Functions;

/// <summary>The similarity index stage, every five minutes after ingest rather than inside each ingest call. Runs that
/// overlap (a slow run, or a second instance) are safe: the stage holds a blob lease on the index's checkpoint, and
/// a run that finds it taken ends as Busy; each run continues from the last embedding the index names.</summary>
public sealed class IndexFunction(SearchIndexStage stage, ILogger<IndexFunction> logger)
{
    [Function("index")]
    public async Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        _ = timer;
        foreach (var result in await stage.RunAsync(cancellationToken))
        {
            logger.LogInformation("index {Model}: {Status}, {Added} added, {Studies} studies", result.Model, result.Status, result.Added, result.Studies);
        }
    }
}
