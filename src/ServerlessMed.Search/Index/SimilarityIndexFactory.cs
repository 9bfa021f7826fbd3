using Azure.Core;
using Azure.Search.Documents;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search.AzureAiSearch;
using ServerlessMed.Search.Embedded;
using ServerlessMed.Search.Stage;

namespace ServerlessMed.Search.Index;

/// <summary>Opens a model's similarity index on the backend the options name. For Azure AI Search the search client
/// comes from <paramref name="searchClient"/> (tests pass the SDK's mockable client) or from the endpoint and the
/// credential.</summary>
public sealed class SimilarityIndexFactory(TenantStorage storage, SimilaritySearchOptions options, TokenCredential? credential = null, Func<string, SearchClient>? searchClient = null)
{
    public TenantStorage Storage => storage;

    public SimilaritySearchOptions Options => options;

    /// <summary>The index as the checkpoint left it (a new empty one when there is none).</summary>
    public async Task<ISimilarityIndex> OpenAsync(string model, IndexCheckpoint? checkpoint, CancellationToken cancellationToken = default)
    {
        if (checkpoint is not null && checkpoint.Backend != options.Backend)
        {
            throw new InvalidDataException($"the index of {model} was built on {checkpoint.Backend}, the settings name {options.Backend}: rebuild it (delete {SearchIndexLayout.Checkpoint(model)} in the {storage.Options.Embeddings} container)");
        }

        return options.Backend switch
        {
            SearchBackend.Embedded => await EmbeddedSimilarityIndex.OpenAsync(storage, model, checkpoint?.Generation, options, cancellationToken).ConfigureAwait(false),
            SearchBackend.AzureAiSearch => new AzureSearchSimilarityIndex(SearchClientFor(model)),
            _ => throw new InvalidDataException($"unknown search backend {options.Backend}"),
        };
    }

    public SearchClient SearchClientFor(string model)
    {
        var name = AzureSearchSimilarityIndex.IndexName(options.IndexPrefix, model);
        if (searchClient is not null)
        {
            return searchClient(name);
        }

        if (options.Endpoint is null || credential is null)
        {
            throw new InvalidDataException("Azure AI Search needs Search:endpoint and a credential (the host's managed identity)");
        }

        return new SearchClient(options.Endpoint, name, credential);
    }
}
