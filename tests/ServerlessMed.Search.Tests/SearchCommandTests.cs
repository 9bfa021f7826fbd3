using System.Text.Json;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Query;
using ServerlessMed.Testing;

namespace ServerlessMed.Search.Tests;

/// <summary>smed index, smed search and smed export as a user runs them, against Azurite.</summary>
public sealed class SearchCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Index_then_search_prints_a_table_or_the_http_json_and_one_line_per_error()
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString });
        await storage.EnsureCreatedAsync(Ct);
        var data = new SyntheticEmbeddings(storage, dimensions: 12);
        await data.AddStudiesAsync(5, 1, 2, ct: Ct);
        string[] Cs(params string[] args) => [.. args, "--connection-string", azurite.ConnectionString];

        var index = Smed.Run(Cs("index"));
        Assert.True(index.ExitCode == 0, index.StdErr);
        Assert.Contains("synthetic-v1: updated, 10 added; index holds 10 instance(s), 5 series, 5 studies", index.StdOut, StringComparison.Ordinal);
        Assert.Contains("synthetic-v1: uptodate, 0 added", Smed.Run(Cs("index")).StdOut, StringComparison.Ordinal);

        var study = data.Written[0].Study;
        var table = Smed.Run(Cs("search", "--study", study, "--k", "3"));
        Assert.True(table.ExitCode == 0, table.StdErr);
        var lines = table.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"nearest studies to study {study}", lines[0], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length); // heading, column names, three studies

        var json = Smed.Run(Cs("search", "--study", study, "--k", "3", "--json"));
        var expected = await new SimilarStudySearch(new SimilarityIndexFactory(storage, new SimilaritySearchOptions())).ByStudyAsync(study, 3, cancellationToken: Ct);
        Assert.Equal(expected.ToJson(), json.StdOut.TrimEnd());
        Assert.Equal(3, JsonDocument.Parse(json.StdOut).RootElement.GetProperty("results").GetArrayLength());

        var unknown = Smed.Run(Cs("search", "--study", "2.25.42"));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Single(unknown.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("smed search: no study 2.25.42", unknown.StdErr, StringComparison.Ordinal);

        var model = Smed.Run(Cs("search", "--study", study, "--model", "other"));
        Assert.Equal(1, model.ExitCode);
        Assert.StartsWith("smed search: the tenant has no embeddings of model 'other'", model.StdErr, StringComparison.Ordinal);

        Assert.Equal(2, Smed.Run(Cs("search")).ExitCode);
        Assert.Equal(2, Smed.Run(Cs("search", "--study", study, "--k", "1000")).ExitCode);

        var keyFile = Path.Combine(Path.GetTempPath(), "smed-cli-" + Guid.NewGuid().ToString("N") + ".key");
        var outDir = Path.Combine(Path.GetTempPath(), "smed-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            Deid.TenantKey.LoadOrCreate(keyFile, createIfMissing: true);
            var export = Smed.Run(Cs("export", "--out", outDir, "--key-file", keyFile));
            Assert.True(export.ExitCode == 0, export.StdErr);
            Assert.Contains("synthetic-v1: 10 row(s) from 10 instance(s), 12-value embeddings", export.StdOut, StringComparison.Ordinal);
            Assert.Contains("every text column passed", export.StdOut, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(outDir, "README.md")));
            var none = Smed.Run(Cs("export", "--out", outDir, "--key-file", keyFile, "--model", "nope"));
            Assert.Equal(1, none.ExitCode);
            Assert.StartsWith("smed export: the tenant has no embeddings of model 'nope'", none.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(keyFile);
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
    }
}
