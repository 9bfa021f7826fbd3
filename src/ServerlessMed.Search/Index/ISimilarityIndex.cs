namespace ServerlessMed.Search.Index;

/// <summary>A tenant's approximate nearest-neighbour index of one model's embeddings, at the three levels. Two
/// implementations: <see cref="Embedded.EmbeddedSimilarityIndex"/> (USearch, HNSW, kept in the tenant's storage) and
/// <see cref="AzureAiSearch.AzureSearchSimilarityIndex"/> (an Azure AI Search index with an HNSW vector field).</summary>
public interface ISimilarityIndex : IDisposable
{
    /// <summary>Which implementation this is (recorded in the index checkpoint).</summary>
    SearchBackend Backend { get; }

    /// <summary>Adds entries, replacing any with the same level and UID.</summary>
    Task UpsertAsync(IReadOnlyList<IndexEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>One entry with its vector, or null when the index has none with that UID at that level.</summary>
    Task<IndexEntry?> GetAsync(IndexLevel level, string uid, CancellationToken cancellationToken = default);

    /// <summary>The k entries of a level most similar to the query (cosine), best first.</summary>
    Task<IReadOnlyList<Neighbour>> SearchAsync(IndexLevel level, ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default);

    /// <summary>Entries at a level.</summary>
    Task<long> CountAsync(IndexLevel level, CancellationToken cancellationToken = default);

    /// <summary>Makes everything upserted so far durable under a new generation name, which the checkpoint then
    /// records (embedded: the index files are written under it; Azure AI Search: acknowledged upserts are already
    /// durable, nothing to write).</summary>
    Task SaveAsync(string generation, CancellationToken cancellationToken = default);

    /// <summary>Removes what a generation no checkpoint names any more left behind.</summary>
    Task ForgetAsync(string generation, CancellationToken cancellationToken = default);
}

/// <summary>Where a tenant's similarity index lives.</summary>
public enum SearchBackend
{
    /// <summary>USearch files in the tenant's own storage account (the default).</summary>
    Embedded,

    /// <summary>An Azure AI Search service, for tenants whose index outgrows one machine.</summary>
    AzureAiSearch,
}
