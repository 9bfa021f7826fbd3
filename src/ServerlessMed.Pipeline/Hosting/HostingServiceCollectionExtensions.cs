using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>One registration per host, shared by its Program.cs and by the tests that start the host's configuration
/// and dependency graph: the settings (validated at start-up, ValidateOnStart), the Azure clients with the host's
/// identity, and the runtime the host's classes use.</summary>
public static class HostingServiceCollectionExtensions
{
    /// <summary>The ingest host (the Functions app).</summary>
    public static IServiceCollection AddServerlessMedIngest(this IServiceCollection services, IConfiguration configuration)
    {
        AddHostSettings<IngestHostSettings>(services, configuration);
        services.TryAddSingleton<IngestRuntime>();
        services.TryAddSingleton(sp => new StudyStatusQuery(sp.GetRequiredService<IngestRuntime>().Storage));
        return services;
    }

    /// <summary>The generation host (the GPU worker).</summary>
    public static IServiceCollection AddServerlessMedGeneration(this IServiceCollection services, IConfiguration configuration)
    {
        AddHostSettings<GenerationHostSettings>(services, configuration);
        services.TryAddSingleton<GenerationRuntime>();
        return services;
    }

    private static void AddHostSettings<T>(IServiceCollection services, IConfiguration configuration)
        where T : class, IHostSettings
    {
        services.AddAzureClientsCore();
        // One set of counters per process: smed run hosts both stages and reports them together.
        services.TryAddSingleton<Stages.StageMetrics>();
        services.TryAddSingleton<IAzureCredentialFactory, ConfiguredCredentialFactory>();
        services.AddOptions<AzureClientDefaults>();
        services.TryAddSingleton(sp => new AzureClients(configuration, sp.GetRequiredService<IAzureCredentialFactory>(), sp.GetRequiredService<IOptions<AzureClientDefaults>>()));
        services.AddOptions<T>().Configure(s => s.Load(configuration)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, HostSettingsValidator<T>>());
    }
}
