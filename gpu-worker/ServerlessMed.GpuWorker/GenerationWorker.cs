using ServerlessMed.Pipeline;

namespace ServerlessMed.GpuWorker;

/// <summary>Pumps the generation queue until the host stops; sleeps briefly when the queue is empty (KEDA scales
/// the container to zero when it stays empty).</summary>
public sealed class GenerationWorker(PipelineHost host, ILogger<GenerationWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("generation worker started on {Provider}", host.Diffusion?.Provider);
        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = await host.GenerationProcessor!.ProcessAvailableAsync(stoppingToken);
            if (handled == 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
