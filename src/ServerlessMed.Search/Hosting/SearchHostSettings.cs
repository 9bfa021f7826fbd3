using Microsoft.Extensions.Configuration;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Search.Index;

namespace ServerlessMed.Search.Hosting;

/// <summary>The similarity index a host uses: the embedded USearch index in the tenant's storage, or Azure AI Search
/// when <c>Search__endpoint</c> is set (identity from <c>Search__credential</c> / <c>__clientId</c>; the service has
/// API keys off). Read with the host's other settings and validated at start-up.</summary>
public sealed class SearchHostSettings : IHostSettings
{
    public const string Section = "Search";

    public const string EndpointKey = "endpoint";

    public SimilaritySearchOptions Options { get; private set; } = new();

    public IReadOnlyList<string> Problems { get; private set; } = [];

    public void Load(IConfiguration configuration)
    {
        var settings = new SettingsReader(configuration);
        var endpoint = settings.AbsoluteUri(Settings.Key(Section, EndpointKey));
        if (endpoint is not null && endpoint.Scheme != Uri.UriSchemeHttps)
        {
            settings.Fail(Settings.Key(Section, EndpointKey), "must be the https endpoint of the Azure AI Search service");
        }

        Options = endpoint is null ? new SimilaritySearchOptions() : new SimilaritySearchOptions { Backend = SearchBackend.AzureAiSearch, Endpoint = endpoint };
        Problems = settings.Errors;
    }
}
