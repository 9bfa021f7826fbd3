using ServerlessMed.Pipeline.Hosting;

namespace ServerlessMed.GpuWorker;

/// <summary>Loads the model, then pumps the generation queue until the host stops; sleeps briefly when the queue is
/// empty (KEDA scales the container to zero when it stays empty). On SIGTERM the running job is abandoned so another
/// replica takes it at once; a job that throws is retried or dead-lettered by the processor, never crashes the loop.
/// A worker told to run on CUDA that cannot (SMED_EXECUTION_PROVIDER=Cuda) refuses to start, in one line.</summary>
public sealed class GenerationWorker(GenerationRuntime runtime, IHostApplicationLifetime lifetime, ILogger<GenerationWorker> logger) : BackgroundService
{
    /// <summary>The process exit code when the worker refuses to start.</summary>
    public const int RefusedExitCode = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        GenerationService service;
        try
        {
            service = await runtime.StartAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException or InvalidDataException or Azure.RequestFailedException)
        {
            logger.LogCritical("generation worker cannot start: {Reason}", e.Message.Split('\n')[0]);
            Environment.ExitCode = RefusedExitCode;
            lifetime.StopApplication();
            return;
        }

        logger.LogInformation("generation worker started: model {Model} ({Hash}) on {Provider}", service.Model.Id, service.Model.Hash[..12], service.Model.Provider);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await service.Processor.ProcessAvailableAsync(stoppingToken);
                if (handled == 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                logger.LogInformation("generation worker stopping");
            }
            catch (Exception e) when (e is Azure.RequestFailedException or Azure.Messaging.ServiceBus.ServiceBusException or HttpRequestException or IOException)
            {
                // Storage or Service Bus unreachable: back off instead of crash-looping the container.
                logger.LogWarning("generation queue unavailable ({Error}); retrying in 5 s", e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
