using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Query;
using ServerlessMed.Search.Stage;
using ServerlessMed.Testing;

namespace ServerlessMed.Search.Tests;

/// <summary>The query behind smed search and GET /api/similar, on Azurite.</summary>
public sealed class SimilarStudiesTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TenantStorage Storage, SyntheticEmbeddings Data, SimilarityIndexFactory Factory)> IndexedTenantAsync(bool index = true)
    {
        var storage = new TenantStorage(PrefixedStorage.Options(azurite.ConnectionString, "q" + Guid.NewGuid().ToString("N")[..8]));
        await storage.EnsureCreatedAsync(Ct);
        var data = new SyntheticEmbeddings(storage, dimensions: 24);
        await data.AddStudiesAsync(12, 1, 3, ct: Ct);
        var factory = new SimilarityIndexFactory(storage, new SimilaritySearchOptions());
        if (index)
        {
            await new SearchIndexStage(factory, NullLogger.Instance).UpdateAsync(data.Model, Ct);
        }

        return (storage, data, factory);
    }

    [Fact]
    public async Task Nearest_studies_match_exact_search_and_leave_out_the_query_study()
    {
        var (_, data, factory) = await IndexedTenantAsync();
        var search = new SimilarStudySearch(factory);
        var studies = data.Written.GroupBy(w => w.Study).ToDictionary(g => g.Key, g => Vectors.MeanOfNormalised(g.Select(w => Vectors.MeanOfNormalised(w.Frames, data.Dimensions)), data.Dimensions));
        foreach (var (uid, vector) in studies)
        {
            var result = await search.ByStudyAsync(uid, 5, cancellationToken: Ct);
            var exact = studies.Where(s => s.Key != uid).OrderByDescending(s => Vectors.Cosine(vector, s.Value)).Take(5).Select(s => s.Key).ToList();
            Assert.Equal(exact, result.Results.Select(r => r.Study).ToList());
            Assert.DoesNotContain(result.Results, r => r.Study == uid);
            Assert.True(result.Results.Zip(result.Results.Skip(1)).All(p => p.First.Similarity >= p.Second.Similarity));
            Assert.All(result.Results, r => Assert.Equal(3, r.Instances));
            Assert.Equal(data.Model, result.Model);
        }
    }

    [Fact]
    public async Task Http_query_answers_json_and_one_clear_error_each()
    {
        var (storage, data, factory) = await IndexedTenantAsync();
        var http = new SimilarStudiesHttpQuery(new SimilarStudySearch(factory));
        var study = data.Written[0].Study;

        var ok = await http.HandleAsync($"?study={study}&k=3", Ct);
        Assert.Equal(200, ok.StatusCode);
        Assert.StartsWith("application/json", ok.ContentType, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(ok.Body);
        Assert.Equal(study, doc.RootElement.GetProperty("query").GetProperty("study").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("results").GetArrayLength());
        var first = doc.RootElement.GetProperty("results")[0];
        foreach (var p in new[] { "study", "similarity", "modality", "bodyPart", "instances" })
        {
            Assert.True(first.TryGetProperty(p, out _), p);
        }

        // The CLI's --json is the same document.
        var direct = await new SimilarStudySearch(factory).ByStudyAsync(study, 3, cancellationToken: Ct);
        Assert.Equal(direct.ToJson(), ok.Body);

        async Task Expect(string query, int status, string code)
        {
            var a = await http.HandleAsync(query, Ct);
            Assert.Equal(status, a.StatusCode);
            using var e = JsonDocument.Parse(a.Body);
            Assert.Equal(code, e.RootElement.GetProperty("error").GetString());
            Assert.DoesNotContain('\n', e.RootElement.GetProperty("message").GetString()!);
        }

        await Expect("?k=3", 400, "bad-request");
        await Expect($"?study={study}&k=0", 400, "bad-request");
        await Expect($"?study={study}&k=ten", 400, "bad-request");
        await Expect("?study=Doe%5EJane", 400, "bad-request");
        await Expect("?study=2.25.999", 404, "unknown-study");
        await Expect($"?study={study}&model=other-model", 404, "unknown-model");

        // A second model with embeddings but no index yet: empty index.
        var second = new SyntheticEmbeddings(storage, model: "second-v2", dimensions: 8);
        await second.AddStudiesAsync(1, 1, 1, ct: Ct);
        await Expect($"?study={study}&model=second", 404, "empty-index");
        await Expect($"?study={study}", 400, "bad-request"); // two models now: name one
    }

    [Fact]
    public async Task A_tenant_without_an_index_or_embeddings_gets_an_empty_index_answer()
    {
        var (_, data, factory) = await IndexedTenantAsync(index: false);
        var e = await Assert.ThrowsAsync<SimilarStudiesException>(() => new SimilarStudySearch(factory).ByStudyAsync(data.Written[0].Study, 10, cancellationToken: Ct));
        Assert.Equal(SimilarStudiesError.EmptyIndex, e.Error);

        var empty = new TenantStorage(PrefixedStorage.Options(azurite.ConnectionString, "e" + Guid.NewGuid().ToString("N")[..8]));
        await empty.EnsureCreatedAsync(Ct);
        var none = await Assert.ThrowsAsync<SimilarStudiesException>(() => new SimilarStudySearch(new SimilarityIndexFactory(empty, new SimilaritySearchOptions())).ByStudyAsync("2.25.1", 10, cancellationToken: Ct));
        Assert.Equal(SimilarStudiesError.EmptyIndex, none.Error);
    }
}
