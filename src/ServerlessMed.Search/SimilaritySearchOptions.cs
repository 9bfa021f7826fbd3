namespace ServerlessMed.Search;

/// <summary>How a tenant's similarity index is kept and searched. Bound from the configuration section "Search"
/// (app settings <c>Search__backend</c>, <c>Search__endpoint</c>, ...); every client authenticates with a
/// TokenCredential, so there is no key setting.</summary>
public sealed class SimilaritySearchOptions
{
    public const string Section = "Search";

    public Index.SearchBackend Backend { get; init; } = Index.SearchBackend.Embedded;

    /// <summary>The Azure AI Search service (https://{name}.search.windows.net) when <see cref="Backend"/> is AzureAiSearch.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Prefix of the Azure AI Search index names ("{prefix}-{model}").</summary>
    public string IndexPrefix { get; init; } = "smed";

    /// <summary>How the embedded index stores vectors: f32, or f16 at half the size.</summary>
    public VectorPrecision Precision { get; init; } = VectorPrecision.F32;

    /// <summary>HNSW graph degree (M).</summary>
    public int Connectivity { get; init; } = 16;

    /// <summary>HNSW candidate list while building (efConstruction).</summary>
    public int ExpansionAdd { get; init; } = 128;

    /// <summary>HNSW candidate list while searching (ef); larger finds more of the true neighbours, slower.</summary>
    public int ExpansionSearch { get; init; } = 64;

    /// <summary>Embeddings indexed between two checkpoints of the index stage.</summary>
    public int CheckpointEvery { get; init; } = 5000;

    /// <summary>Length of the index stage's blob lease (15 to 60 s), renewed every third of it while it runs.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Embeddings read at once by the index stage.</summary>
    public int ReadConcurrency { get; init; } = 8;

    public void Validate()
    {
        if (Backend == Index.SearchBackend.AzureAiSearch && Endpoint is null)
        {
            throw new InvalidDataException("Search:endpoint is required when Search:backend is AzureAiSearch");
        }

        if (Lease < TimeSpan.FromSeconds(15) || Lease > TimeSpan.FromSeconds(60))
        {
            throw new InvalidDataException("Search:lease must be 15 to 60 seconds (a blob lease)");
        }

        if (CheckpointEvery < 1 || Connectivity < 2 || ExpansionAdd < 1 || ExpansionSearch < 1 || ReadConcurrency < 1)
        {
            throw new InvalidDataException("Search: checkpointEvery, connectivity, expansionAdd, expansionSearch and readConcurrency must be positive");
        }
    }
}

/// <summary>Scalar type of the embedded index's stored vectors.</summary>
public enum VectorPrecision
{
    F32,
    F16,
}
