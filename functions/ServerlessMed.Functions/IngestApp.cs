using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Telemetry;
using ServerlessMed.Search.Hosting;

namespace ServerlessMed.Functions;

/// <summary>The app's services, in one place for Program.cs and for the tests that start its dependency graph with
/// the settings the templates give it.</summary>
public static class IngestApp
{
    public static IServiceCollection ConfigureServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddServerlessMedIngest(configuration);
        services.AddServerlessMedSearch(configuration);
        services.AddOpenTelemetry().UseFunctionsWorkerDefaults().AddServerlessMedTelemetry(configuration);
        return services;
    }
}
