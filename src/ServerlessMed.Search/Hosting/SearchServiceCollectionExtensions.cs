using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Query;
using ServerlessMed.Search.Stage;

namespace ServerlessMed.Search.Hosting;

/// <summary>Similar-study search for a host that already has the ingest registrations (its tenant storage): the index
/// factory with the host's identity, the query behind GET /api/similar, and the index stage.</summary>
public static class SearchServiceCollectionExtensions
{
    public static IServiceCollection AddServerlessMedSearch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SearchHostSettings>().Configure(s => s.Load(configuration)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SearchHostSettings>, HostSettingsValidator<SearchHostSettings>>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SearchHostSettings>>().Value.Options;
            var credential = options.Backend == SearchBackend.AzureAiSearch
                ? sp.GetRequiredService<IAzureCredentialFactory>().Create(configuration.GetSection(SearchHostSettings.Section))
                : null;
            return new SimilarityIndexFactory(sp.GetRequiredService<IngestRuntime>().Storage, options, credential);
        });
        services.TryAddSingleton(sp => new SimilarStudySearch(sp.GetRequiredService<SimilarityIndexFactory>()));
        services.TryAddSingleton(sp => new SimilarStudiesHttpQuery(sp.GetRequiredService<SimilarStudySearch>()));
        services.TryAddSingleton(sp => new SearchIndexStage(sp.GetRequiredService<SimilarityIndexFactory>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("ServerlessMed.Search")));
        return services;
    }
}
