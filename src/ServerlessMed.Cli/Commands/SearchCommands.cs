using System.CommandLine;
using System.Globalization;
using System.Text;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Query;
using ServerlessMed.Search.Stage;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed index / smed search: the similarity index stage and the similar-study query over a tenant's storage.</summary>
internal static class SearchCommands
{
    private static Option<string?> TenantOption() => new("--tenant") { Description = "tenant whose storage to use: $SMED_STORAGE_{TENANT} (default: $SMED_STORAGE)" };

    private static Option<string?> ModelOption() => new("--model") { Description = "model id or folder (e.g. tiny-gray or tiny-gray-v1; default: the tenant's only model)" };

    /// <summary>The embedded USearch index, or Azure AI Search when $SMED_SEARCH_ENDPOINT is set (with the caller's Azure identity).</summary>
    private static SimilarityIndexFactory Factory(string connectionString)
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = connectionString });
        if (Environment.GetEnvironmentVariable("SMED_SEARCH_ENDPOINT") is { Length: > 0 } endpoint)
        {
            var options = new SimilaritySearchOptions { Backend = SearchBackend.AzureAiSearch, Endpoint = new Uri(endpoint) };
            return new SimilarityIndexFactory(storage, options, new Azure.Identity.DefaultAzureCredential());
        }

        return new SimilarityIndexFactory(storage, new SimilaritySearchOptions());
    }

    public static Command Index()
    {
        var connection = StorageCommands.ConnectionOption();
        var tenant = TenantOption();
        var model = ModelOption();
        var create = new Option<bool>("--create-search-index") { Description = "with $SMED_SEARCH_ENDPOINT: first create or update each model's Azure AI Search index (needs a management role on the service; the app's identity only writes documents)" };
        var cmd = new Command("index", "Build or extend the similarity index of the tenant's embeddings (the stage that runs after ingest)") { connection, tenant, model, create };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = StorageCommands.Connection(parse, connection, parse.GetValue(tenant));
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("index", "no storage: pass --connection-string, --tenant with $SMED_STORAGE_{TENANT}, or set SMED_STORAGE");
            }

            using var logging = CliEnvironment.Logging(verbose: false);
            var factory = Factory(cs);
            var stage = new SearchIndexStage(factory, logging.CreateLogger("smed.index"));
            if (parse.GetValue(create))
            {
                if (factory.Options.Backend != SearchBackend.AzureAiSearch)
                {
                    return CliEnvironment.Fail("index", "--create-search-index needs SMED_SEARCH_ENDPOINT (an Azure AI Search service)");
                }

                var reader = new EmbeddingReader(factory.Storage);
                var indexClient = new Azure.Search.Documents.Indexes.SearchIndexClient(factory.Options.Endpoint!, new Azure.Identity.DefaultAzureCredential());
                foreach (var name in await reader.ModelsAsync(ct))
                {
                    await foreach (var first in reader.ListAsync(name, cancellationToken: ct))
                    {
                        var dims = (await reader.ReadAsync(first, ct)).Dimensions;
                        var indexName = ServerlessMed.Search.AzureAiSearch.AzureSearchSimilarityIndex.IndexName(factory.Options.IndexPrefix, name);
                        await ServerlessMed.Search.AzureAiSearch.AzureSearchSimilarityIndex.EnsureIndexAsync(indexClient, indexName, dims, factory.Options, ct);
                        Console.WriteLine($"{name}: search index {indexName} ({dims} dimensions, HNSW cosine) created or updated");
                        break;
                    }
                }
            }

            IReadOnlyList<IndexRunResult> results;
            if (parse.GetValue(model) is { Length: > 0 } m)
            {
                var resolved = await new EmbeddingReader(factory.Storage).ResolveModelAsync(m, ct);
                if (resolved is null)
                {
                    return CliEnvironment.Fail("index", $"the tenant has no embeddings of model '{m}'");
                }

                results = [await stage.UpdateAsync(resolved, ct)];
            }
            else
            {
                results = await stage.RunAsync(ct);
            }

            if (results.Count == 0)
            {
                Console.WriteLine("no embeddings yet: nothing to index");
            }

            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Model}: {r.Status.ToString().ToLowerInvariant()}, {r.Added} added; index holds {r.Instances} instance(s), {r.Series} series, {r.Studies} stud{(r.Studies == 1 ? "y" : "ies")}; last embedding {r.LastEmbedding ?? "-"}"));
            }

            return 0;
        });
        return cmd;
    }

    public static Command Search()
    {
        var study = new Option<string?>("--study") { Description = "de-identified Study Instance UID of a study in the index" };
        var instance = new Option<FileInfo?>("--instance") { Description = "a DICOM file: de-identified in memory with the tenant key and encoded with the model" };
        var k = new Option<int>("--k") { Description = "how many studies", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "print JSON (the same as GET /api/similar)" };
        var connection = StorageCommands.ConnectionOption();
        var tenant = TenantOption();
        var model = ModelOption();
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file for --instance (default: $SMED_KEY_FILE, else .smed/tenant.key)" };
        var policy = new Option<string?>("--policy") { Description = "tenant policy JSON for --instance" };
        var models = new Option<string?>("--models") { Description = "models folder for --instance (default: $SMED_MODELS, else models/)" };
        var cmd = new Command("search", "Nearest studies to a study or an instance, from the tenant's similarity index") { study, instance, model, k, tenant, json, connection, keyFile, policy, models };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = StorageCommands.Connection(parse, connection, parse.GetValue(tenant));
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("search", "no storage: pass --connection-string, --tenant with $SMED_STORAGE_{TENANT}, or set SMED_STORAGE");
            }

            var studyUid = parse.GetValue(study);
            var file = parse.GetValue(instance);
            if ((studyUid is null) == (file is null))
            {
                return CliEnvironment.Fail("search", "give one of --study UID or --instance FILE.dcm");
            }

            if (file is not null && !file.Exists)
            {
                return CliEnvironment.Fail("search", $"'{file.FullName}' does not exist");
            }

            var search = new SimilarStudySearch(Factory(cs));
            SimilarStudiesResult result;
            try
            {
                if (studyUid is not null)
                {
                    result = await search.ByStudyAsync(studyUid, parse.GetValue(k), parse.GetValue(model), ct);
                }
                else
                {
                    var resolved = await search.ResolveModelAsync(parse.GetValue(model), ct);
                    var encoder = InstanceQuery.EncoderFolder(CliEnvironment.ModelsRoot(parse.GetValue(models)), resolved);
                    var (vector, deidStudy) = InstanceQuery.Encode(file!.FullName, encoder, CliEnvironment.Key(parse.GetValue(keyFile)), CliEnvironment.Policy(parse.GetValue(policy)));
                    result = await search.ByVectorAsync(vector, parse.GetValue(k), resolved, new SimilarStudiesQuery(deidStudy, file.Name), deidStudy, ct);
                }
            }
            catch (SimilarStudiesException e)
            {
                Console.Error.WriteLine($"smed search: {e.Message}");
                return e.Error == SimilarStudiesError.BadRequest ? 2 : 1;
            }
            catch (Exception e) when (e is Dicom.DicomException or Deid.DeidRejectedException)
            {
                return CliEnvironment.Fail("search", e.Message);
            }

            Console.Write(parse.GetValue(json) ? result.ToJson() + Environment.NewLine : Table(result));
            return 0;
        });
        return cmd;
    }

    /// <summary>The result as an aligned table.</summary>
    public static string Table(SimilarStudiesResult result)
    {
        var sb = new StringBuilder();
        var width = Math.Max(5, result.Results.Select(r => r.Study.Length).DefaultIfEmpty(5).Max());
        sb.AppendLine(CultureInfo.InvariantCulture, $"nearest studies to {(result.Query.Instance is { } i ? $"instance {i}" : $"study {result.Query.Study}")} (model {result.Model})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"rank",4}  {"study".PadRight(width)}  {"similarity",10}  {"modality",-8}  {"body part",-12}  {"instances",9}");
        var rank = 1;
        foreach (var r in result.Results)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{rank++,4}  {r.Study.PadRight(width)}  {r.Similarity,10:0.0000}  {r.Modality,-8}  {r.BodyPart,-12}  {r.Instances,9}");
        }

        if (result.Results.Count == 0)
        {
            sb.AppendLine("(no other study in the index)");
        }

        return sb.ToString();
    }
}
