using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Telemetry;

namespace ServerlessMed.GpuWorker;

/// <summary>The worker's services, in one place for Program.cs and for the tests that start its dependency graph
/// with the settings the templates give it.</summary>
public static class GenerationApp
{
    public static IServiceCollection ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddServerlessMedGeneration(configuration);
        services.AddOpenTelemetry().AddServerlessMedTelemetry(configuration);
        services.AddHostedService<GenerationWorker>();
        return services;
    }
}
