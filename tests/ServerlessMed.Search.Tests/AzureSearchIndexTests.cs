using Azure;
using Azure.Search.Documents;
using Azure.Search.Documents.Indexes;
using Azure.Search.Documents.Indexes.Models;
using Azure.Search.Documents.Models;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search;
using ServerlessMed.Search.AzureAiSearch;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Query;
using ServerlessMed.Search.Stage;
using ServerlessMed.Testing;

namespace ServerlessMed.Search.Tests;

/// <summary>The Azure AI Search implementation against the SDK's own test doubles: SearchClient's virtual members
/// (the SDK's mocking surface) record what we send, and SearchModelFactory builds the service's answers.</summary>
public sealed class AzureSearchIndexTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A SearchClient whose calls are recorded and answered from canned SDK models.</summary>
    private sealed class RecordingSearchClient(string indexName) : SearchClient
    {
        public List<SimilarityDocument> Uploaded { get; } = [];

        public List<SearchOptions> Searches { get; } = [];

        public Func<SearchOptions, IEnumerable<SearchResult<SimilarityDocument>>> Answer { get; set; } = _ => [];

        public Func<IEnumerable<SimilarityDocument>, IEnumerable<IndexingResult>>? IndexingAnswer { get; set; }

        public override string IndexName => indexName;

        public override Task<Response<IndexDocumentsResult>> MergeOrUploadDocumentsAsync<T>(IEnumerable<T> documents, IndexDocumentsOptions? options = null, CancellationToken cancellationToken = default)
        {
            var docs = documents.Cast<SimilarityDocument>().ToList();
            Uploaded.AddRange(docs);
            var results = IndexingAnswer?.Invoke(docs) ?? docs.Select(d => SearchModelFactory.IndexingResult(d.Id, null, true, 201));
            return Task.FromResult(Response.FromValue(SearchModelFactory.IndexDocumentsResult(results), new FakeResponse(200)));
        }

        public override Task<Response<SearchResults<T>>> SearchAsync<T>(SearchOptions options, CancellationToken cancellationToken = default) => SearchAsync<T>(null, options, cancellationToken);

        public override Task<Response<SearchResults<T>>> SearchAsync<T>(string? searchText, SearchOptions? options = null, CancellationToken cancellationToken = default)
        {
            Searches.Add(options!);
            var results = Answer(options!).Cast<SearchResult<T>>().ToList();
            var value = SearchModelFactory.SearchResults(results, results.Count, null, null, new FakeResponse(200));
            return Task.FromResult(Response.FromValue(value, new FakeResponse(200)));
        }

        public override Task<Response<T>> GetDocumentAsync<T>(string key, GetDocumentOptions? options = null, CancellationToken cancellationToken = default)
        {
            var doc = Uploaded.LastOrDefault(d => d.Id == key);
            return doc is null
                ? throw new RequestFailedException(404, "document not found")
                : Task.FromResult(Response.FromValue((T)(object)doc, new FakeResponse(200)));
        }
    }

    /// <summary>A SearchIndexClient that records the index definitions it is asked to create.</summary>
    private sealed class RecordingIndexClient : SearchIndexClient
    {
        public List<SearchIndex> Created { get; } = [];

        public override Task<Response<SearchIndex>> CreateOrUpdateIndexAsync(SearchIndex index, bool allowIndexDowntime = false, bool onlyIfUnchanged = false, CancellationToken cancellationToken = default)
        {
            Created.Add(index);
            return Task.FromResult(Response.FromValue(index, new FakeResponse(201)));
        }
    }

    private sealed class FakeResponse(int status) : Response
    {
        public override int Status => status;

        public override string ReasonPhrase => string.Empty;

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => false;

        protected override IEnumerable<Azure.Core.HttpHeader> EnumerateHeaders() => [];

        protected override bool TryGetHeader(string name, out string value)
        {
            value = string.Empty;
            return false;
        }

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            values = [];
            return false;
        }
    }

    private static SearchResult<SimilarityDocument> Hit(string study, double score, string modality = "CT") =>
        SearchModelFactory.SearchResult(new SimilarityDocument { Id = AzureSearchSimilarityIndex.DocumentKey(IndexLevel.Study, study), Level = "study", Uid = study, Study = study, Modality = modality, BodyPart = "CHEST", Instances = 2 }, score, null);

    [Fact]
    public async Task The_index_definition_is_an_hnsw_cosine_vector_field_of_the_model_width()
    {
        var client = new RecordingIndexClient();
        await AzureSearchSimilarityIndex.EnsureIndexAsync(client, AzureSearchSimilarityIndex.IndexName("smed", "tiny-gray-v1"), 384, new SimilaritySearchOptions(), Ct);

        var index = Assert.Single(client.Created);
        Assert.Equal("smed-tiny-gray-v1", index.Name);
        var vector = index.Fields.Single(f => f.Name == AzureSearchSimilarityIndex.VectorField);
        Assert.Equal(384, vector.VectorSearchDimensions);
        Assert.Equal(SearchFieldDataType.Collection(SearchFieldDataType.Single), vector.Type);
        var profile = index.VectorSearch.Profiles.Single(p => p.Name == vector.VectorSearchProfileName);
        var hnsw = Assert.IsType<HnswAlgorithmConfiguration>(index.VectorSearch.Algorithms.Single(a => a.Name == profile.AlgorithmConfigurationName));
        Assert.Equal(VectorSearchAlgorithmMetric.Cosine, hnsw.Parameters.Metric);
        Assert.True(index.Fields.Single(f => f.Name == "id").IsKey);
        Assert.True(index.Fields.Single(f => f.Name == "level").IsFilterable);
    }

    [Fact]
    public async Task Search_sends_a_prefiltered_vector_query_and_reads_scores_back_as_cosine()
    {
        var client = new RecordingSearchClient("smed-m");
        client.Answer = _ => [Hit("2.25.1", 1 / (1 + (1 - 0.9))), Hit("2.25.2", 1 / (1 + (1 - 0.5)), "MR")];
        using var index = new AzureSearchSimilarityIndex(client);

        var found = await index.SearchAsync(IndexLevel.Study, new float[] { 1, 0, 0 }, 2, Ct);

        var options = Assert.Single(client.Searches);
        Assert.Equal("level eq 'study'", options.Filter);
        Assert.Equal(VectorFilterMode.PreFilter, options.VectorSearch.FilterMode);
        var query = Assert.IsType<VectorizedQuery>(Assert.Single(options.VectorSearch.Queries));
        Assert.Equal(2, query.KNearestNeighborsCount);
        Assert.Equal([AzureSearchSimilarityIndex.VectorField], query.Fields);
        Assert.Equal(new float[] { 1, 0, 0 }, query.Vector.ToArray());
        Assert.DoesNotContain(AzureSearchSimilarityIndex.VectorField, options.Select);
        Assert.Equal(["2.25.1", "2.25.2"], found.Select(n => n.Uid));
        Assert.Equal(0.9f, found[0].Similarity, 4);
        Assert.Equal(0.5f, found[1].Similarity, 4);
        Assert.Equal("MR", found[1].Modality);
    }

    [Fact]
    public async Task Upserts_use_service_safe_keys_and_a_failed_document_is_an_error()
    {
        var client = new RecordingSearchClient("smed-m");
        using var index = new AzureSearchSimilarityIndex(client);
        await index.UpsertAsync([new IndexEntry(IndexLevel.Instance, "2.25.77", "2.25.7", "2.25.70", "CT", "HEAD", 1, [0.1f, 0.2f])], Ct);

        var doc = Assert.Single(client.Uploaded);
        Assert.Equal("instance-2_25_77", doc.Id);
        Assert.Matches("^[A-Za-z0-9_=-]+$", doc.Id);
        Assert.Equal(new[] { 0.1f, 0.2f }, doc.Vector);
        Assert.Equal(2, (await index.GetAsync(IndexLevel.Instance, "2.25.77", Ct))!.Vector.Length);
        Assert.Null(await index.GetAsync(IndexLevel.Instance, "2.25.78", Ct));

        client.IndexingAnswer = docs => docs.Select(d => SearchModelFactory.IndexingResult(d.Id, "vector field has the wrong dimensions", false, 400));
        var e = await Assert.ThrowsAsync<RequestFailedException>(() => index.UpsertAsync([new IndexEntry(IndexLevel.Study, "2.25.7", "2.25.7", null, "CT", "HEAD", 1, [1f])], Ct));
        Assert.Contains("study-2_25_7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_index_stage_and_the_query_run_on_the_azure_backend_with_the_same_checkpoint()
    {
        var storage = new TenantStorage(PrefixedStorage.Options(azurite.ConnectionString, "z" + Guid.NewGuid().ToString("N")[..8]));
        await storage.EnsureCreatedAsync(Ct);
        var data = new SyntheticEmbeddings(storage, dimensions: 8);
        await data.AddStudiesAsync(3, 1, 2, ct: Ct);
        var client = new RecordingSearchClient("smed-synthetic-v1");
        var options = new SimilaritySearchOptions { Backend = SearchBackend.AzureAiSearch, Endpoint = new Uri("https://example.search.windows.net") };
        var factory = new SimilarityIndexFactory(storage, options, searchClient: name =>
        {
            Assert.Equal("smed-synthetic-v1", name);
            return client;
        });

        var run = await new SearchIndexStage(factory, NullLogger.Instance).UpdateAsync(data.Model, Ct);

        Assert.Equal((6L, 3L, 3L), (run.Instances, run.Series, run.Studies));
        Assert.Equal(6, client.Uploaded.Count(d => d.Level == "instance"));
        Assert.Equal(3, client.Uploaded.Where(d => d.Level == "study").Select(d => d.Id).Distinct().Count());
        Assert.Equal(SearchBackend.AzureAiSearch, (await SearchIndexStage.ReadCheckpointAsync(storage, data.Model, Ct))!.Backend);

        var studies = data.Written.Select(w => w.Study).Distinct().ToList();
        client.Answer = _ => [Hit(studies[0], 1.0), Hit(studies[2], 0.8), Hit(studies[1], 0.7)];
        var result = await new SimilarStudySearch(factory).ByStudyAsync(studies[0], 2, cancellationToken: Ct);
        Assert.Equal([studies[2], studies[1]], result.Results.Select(r => r.Study));

        // The embedded backend refuses a checkpoint the Azure backend wrote, with one clear line.
        var embedded = new SimilarityIndexFactory(storage, new SimilaritySearchOptions());
        var mismatch = await Assert.ThrowsAsync<InvalidDataException>(() => new SimilarStudySearch(embedded).ByStudyAsync(studies[0], 2, cancellationToken: Ct));
        Assert.Contains("rebuild", mismatch.Message, StringComparison.Ordinal);
    }
}
