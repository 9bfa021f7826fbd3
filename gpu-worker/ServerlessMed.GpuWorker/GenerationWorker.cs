using ServerlessMed.Pipeline;

namespace ServerlessMed.GpuWorker;

/// <summary>Pumps the generation queue until the host stops; sleeps briefly when the queue is empty (KEDA scales
/// the container to zero when it stays empty). On SIGTERM the running job is abandoned so another replica takes it
/// at once; a job that throws is retried or dead-lettered by the processor, never crashes the loop.</summary>
public sealed class GenerationWorker(PipelineHost host, ILogger<GenerationWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("generation worker started: model {Model} ({Hash}) on {Provider}", host.Diffusion?.Id, host.Diffusion?.Hash[..12], host.Diffusion?.Provider);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await host.GenerationProcessor!.ProcessAvailableAsync(stoppingToken);
                if (handled == 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                logger.LogInformation("generation worker stopping");
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or IOException)
            {
                // Storage unreachable: back off instead of crash-looping the container.
                logger.LogWarning("generation queue unavailable ({Error}); retrying in 5 s", e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
