using System.Text.Json.Serialization;
using Azure;
using Azure.Search.Documents;
using Azure.Search.Documents.Indexes;
using Azure.Search.Documents.Indexes.Models;
using Azure.Search.Documents.Models;
using ServerlessMed.Search.Index;

namespace ServerlessMed.Search.AzureAiSearch;

/// <summary>The similarity index on Azure AI Search, for tenants whose index outgrows one machine: one search index
/// per model, one document per entry (all three levels, told apart by a filterable field), the vector in a field
/// searched with HNSW under the cosine metric. The client authenticates with a TokenCredential (role Search Index
/// Data Contributor for the Functions identity; no admin or query keys anywhere).</summary>
public sealed class AzureSearchSimilarityIndex(SearchClient client) : ISimilarityIndex
{
    public const string VectorField = "vector";
    public const string ProfileName = "hnsw-cosine";
    public const string AlgorithmName = "hnsw";
    private const int UploadBatch = 1000;

    public SearchBackend Backend => SearchBackend.AzureAiSearch;

    /// <summary>The search index name of a model: lower-case letters, digits and dashes (the service's rule).</summary>
    public static string IndexName(string prefix, string model) =>
        string.Concat($"{prefix}-{model}".ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')).Trim('-');

    /// <summary>The index definition: key, the filterable attributes, and the HNSW cosine vector field.</summary>
    public static SearchIndex Definition(string name, int dimensions, SimilaritySearchOptions options) => new(name)
    {
        Fields =
        {
            new SimpleField("id", SearchFieldDataType.String) { IsKey = true },
            new SimpleField("level", SearchFieldDataType.String) { IsFilterable = true },
            new SimpleField("uid", SearchFieldDataType.String) { IsFilterable = true },
            new SimpleField("study", SearchFieldDataType.String) { IsFilterable = true },
            new SimpleField("series", SearchFieldDataType.String) { IsFilterable = true },
            new SimpleField("modality", SearchFieldDataType.String) { IsFilterable = true, IsFacetable = true },
            new SimpleField("bodyPart", SearchFieldDataType.String) { IsFilterable = true, IsFacetable = true },
            new SimpleField("instances", SearchFieldDataType.Int32),
            new VectorSearchField(VectorField, dimensions, ProfileName),
        },
        VectorSearch = new VectorSearch
        {
            Profiles = { new VectorSearchProfile(ProfileName, AlgorithmName) },
            Algorithms =
            {
                new HnswAlgorithmConfiguration(AlgorithmName)
                {
                    Parameters = new HnswParameters
                    {
                        Metric = VectorSearchAlgorithmMetric.Cosine,
                        M = Math.Clamp(options.Connectivity, 4, 10),
                        EfConstruction = Math.Clamp(options.ExpansionAdd, 100, 1000),
                        EfSearch = Math.Clamp(options.ExpansionSearch, 100, 1000),
                    },
                },
            },
        },
    };

    /// <summary>Creates or updates the model's search index. This needs a management role on the service (the operator
    /// runs it once per model, e.g. `smed index --create-search-index`); the Functions identity only reads and writes
    /// documents.</summary>
    public static async Task EnsureIndexAsync(SearchIndexClient indexClient, string name, int dimensions, SimilaritySearchOptions options, CancellationToken cancellationToken = default) =>
        await indexClient.CreateOrUpdateIndexAsync(Definition(name, dimensions, options), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>A document key for an entry: the service allows letters, digits, '_', '-' and '=' only.</summary>
    public static string DocumentKey(IndexLevel level, string uid) => $"{level.ToString().ToLowerInvariant()}-{uid.Replace('.', '_')}";

    public async Task UpsertAsync(IReadOnlyList<IndexEntry> entries, CancellationToken cancellationToken = default)
    {
        foreach (var chunk in entries.Chunk(UploadBatch))
        {
            var docs = chunk.Select(e => new SimilarityDocument
            {
                Id = DocumentKey(e.Level, e.Uid),
                Level = LevelName(e.Level),
                Uid = e.Uid,
                Study = e.StudyUid,
                Series = e.SeriesUid,
                Modality = e.Modality,
                BodyPart = e.BodyPart,
                Instances = e.Instances,
                Vector = e.Vector,
            });
            var response = await client.MergeOrUploadDocumentsAsync(docs, new IndexDocumentsOptions { ThrowOnAnyError = false }, cancellationToken).ConfigureAwait(false);
            var failed = response.Value.Results.Where(r => !r.Succeeded).ToList();
            if (failed.Count > 0)
            {
                // Keys are de-identified UIDs, and the service's messages name only keys and fields.
                throw new RequestFailedException(failed[0].Status, $"Azure AI Search index {client.IndexName}: {failed.Count} of {chunk.Length} documents were not indexed ({failed[0].Key}: {failed[0].ErrorMessage})");
            }
        }
    }

    public async Task<IndexEntry?> GetAsync(IndexLevel level, string uid, CancellationToken cancellationToken = default)
    {
        try
        {
            var doc = (await client.GetDocumentAsync<SimilarityDocument>(DocumentKey(level, uid), cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return new IndexEntry(level, doc.Uid, doc.Study, doc.Series, doc.Modality, doc.BodyPart, doc.Instances, doc.Vector ?? []);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<Neighbour>> SearchAsync(IndexLevel level, ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default)
    {
        if (k <= 0)
        {
            return [];
        }

        var options = new SearchOptions
        {
            Filter = LevelFilter(level),
            Size = k,
            VectorSearch = new VectorSearchOptions
            {
                // Filter first, so k results of the level come back rather than the level's share of k.
                FilterMode = VectorFilterMode.PreFilter,
                Queries = { new VectorizedQuery(query) { KNearestNeighborsCount = k, Fields = { VectorField } } },
            },
        };
        foreach (var f in new[] { "id", "level", "uid", "study", "series", "modality", "bodyPart", "instances" })
        {
            options.Select.Add(f);
        }

        var response = await client.SearchAsync<SimilarityDocument>(options, cancellationToken).ConfigureAwait(false);
        var result = new List<Neighbour>(k);
        await foreach (var r in response.Value.GetResultsAsync().ConfigureAwait(false))
        {
            var d = r.Document;
            result.Add(new Neighbour(level, d.Uid, d.Study, d.Series, d.Modality, d.BodyPart, d.Instances, SimilarityOfScore(r.Score ?? 0)));
            if (result.Count == k)
            {
                break;
            }
        }

        return result;
    }

    public async Task<long> CountAsync(IndexLevel level, CancellationToken cancellationToken = default)
    {
        var response = await client.SearchAsync<SimilarityDocument>("*", new SearchOptions { Filter = LevelFilter(level), Size = 0, IncludeTotalCount = true }, cancellationToken).ConfigureAwait(false);
        return response.Value.TotalCount ?? 0;
    }

    /// <summary>Acknowledged uploads are durable in the service; there is nothing to write.</summary>
    public Task SaveAsync(string generation, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ForgetAsync(string generation, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public void Dispose()
    {
    }

    /// <summary>The service scores a cosine match as 1 / (1 + (1 - cos)); this gives back cos, the similarity the
    /// embedded index reports, so results read the same from both.</summary>
    public static float SimilarityOfScore(double score) => score <= 0 ? -1 : (float)(2 - (1 / score));

    private static string LevelName(IndexLevel level) => level.ToString().ToLowerInvariant();

    private static string LevelFilter(IndexLevel level) => $"level eq '{LevelName(level)}'";
}

/// <summary>One entry as a search document.</summary>
public sealed class SimilarityDocument
{
    [JsonPropertyName("id")]
    public string Id { get; set; } = string.Empty;

    [JsonPropertyName("level")]
    public string Level { get; set; } = string.Empty;

    [JsonPropertyName("uid")]
    public string Uid { get; set; } = string.Empty;

    [JsonPropertyName("study")]
    public string Study { get; set; } = string.Empty;

    [JsonPropertyName("series")]
    public string? Series { get; set; }

    [JsonPropertyName("modality")]
    public string Modality { get; set; } = string.Empty;

    [JsonPropertyName("bodyPart")]
    public string BodyPart { get; set; } = string.Empty;

    [JsonPropertyName("instances")]
    public int Instances { get; set; }

    [JsonPropertyName("vector")]
    public float[]? Vector { get; set; }
}
