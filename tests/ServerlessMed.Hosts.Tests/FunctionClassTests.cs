using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessMed.Functions;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.Hosts.Tests;

/// <summary>The Functions app's classes as the isolated worker runs them: built from the app's own dependency graph
/// (IngestApp) with identity-based settings (service URIs, a managed-identity-style TokenCredential, no key anywhere),
/// against Azurite over HTTPS with OAuth. The Functions host itself cannot run here, so the test calls the functions
/// with what the host would pass (the queue message text, the route value).</summary>
public sealed class FunctionClassTests(AzuriteOverHttps azurite) : IClassFixture<AzuriteOverHttps>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class CapturingProvider(CapturingLogger logger) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task An_upload_is_ingested_through_the_function_with_the_hosts_identity_and_the_status_function_counts_it()
    {
        var cache = Path.Combine(Path.GetTempPath(), "smed-fn-cache-" + Guid.NewGuid().ToString("N"));
        var keyFile = cache + ".key";
        await File.WriteAllTextAsync(keyFile, new string('c', 64), Ct);
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["TenantStorage:blobServiceUri"] = azurite.Azurite.BlobServiceUri.ToString(),
                ["TenantStorage:queueServiceUri"] = azurite.Azurite.QueueServiceUri.ToString(),
                ["TenantStorage:credential"] = "managedidentity",
                ["TenantStorage:clientId"] = Guid.NewGuid().ToString(),
                // Never contacted: the policy below asks for no generation (the Service Bus adapter has its own tests).
                ["ServiceBus:fullyQualifiedNamespace"] = "smed-test.servicebus.windows.net",
                ["SMED_KEY_FILE"] = keyFile,
                ["SMED_POLICY"] = Path.Combine(Corpus.RepoRoot, "policy", "examples", "hospital-default.json"),
                ["SMED_ENCODER_MODEL_ID"] = "tiny-gray",
                ["SMED_MODEL_CACHE"] = cache,
            };
            var logs = new CapturingLogger();
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddProvider(new CapturingProvider(logs));
            IngestApp.ConfigureServices(builder.Services, builder.Configuration);
            builder.Services.AddSingleton<IAzureCredentialFactory>(new FixedCredential(azurite.Credential));
            builder.Services.Configure<AzureClientDefaults>(d => d.Configure = o => o.Transport = azurite.Transport());
            using var host = builder.Build();
            host.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
            var runtime = host.Services.GetRequiredService<IngestRuntime>();
            var storage = runtime.Storage;
            await storage.EnsureCreatedAsync(Ct);

            // The tenant's encoder, uploaded as a model folder, as scripts/deploy.sh describes.
            foreach (var file in Directory.GetFiles(TestModels.Encoder))
            {
                await storage.Container(storage.Options.Models).GetBlobClient("tiny-gray/" + Path.GetFileName(file)).UploadAsync(file, Ct);
            }

            var upload = storage.Container(storage.Options.Uploads).GetBlobClient("fn/Doe^Jane_ct.dcm");
            var put = await upload.UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);
            var message = BlobCreatedEvent.For(storage.Options.Uploads, "fn/Doe^Jane_ct.dcm", upload.Uri, 39206, put.Value.ETag.ToString()).ToJson();

            var ingest = ActivatorUtilities.CreateInstance<IngestFunction>(host.Services);
            await ingest.RunAsync(message, Ct);
            var inventory = await StorageInventory.ReadAsync(storage, Ct);
            var instance = Assert.Single(inventory.DeidInstances);
            Assert.Single(inventory.Embeddings);
            Assert.Empty(inventory.Uploads);
            Assert.Contains("https://storage.azure.com/.default", azurite.Credential.Scopes);

            // A second delivery of the same event (the host retries after a timeout) changes nothing.
            await ingest.RunAsync(message, Ct);
            Assert.Single((await StorageInventory.ReadAsync(storage, Ct)).DeidInstances);

            var status = ActivatorUtilities.CreateInstance<StatusFunction>(host.Services);
            var study = instance.Split('/')[0];
            var ok = Assert.IsType<OkObjectResult>(await status.RunAsync(new DefaultHttpContext().Request, study, Ct));
            Assert.Contains("instances = 1", ok.Value!.ToString(), StringComparison.Ordinal);
            var bad = Assert.IsType<BadRequestObjectResult>(await status.RunAsync(new DefaultHttpContext().Request, "Doe^Jane", Ct));
            Assert.DoesNotContain("Doe", bad.Value!.ToString(), StringComparison.Ordinal);

            // The index stage after ingest, then GET /api/similar for the study (its only neighbour is none: one study).
            await ActivatorUtilities.CreateInstance<IndexFunction>(host.Services).RunAsync(new TimerInfo(), Ct);
            var similar = ActivatorUtilities.CreateInstance<SimilarFunction>(host.Services);
            var request = new DefaultHttpContext().Request;
            request.QueryString = new QueryString($"?study={study}&k=5");
            var found = Assert.IsType<ContentResult>(await similar.RunAsync(request, Ct));
            Assert.Equal(200, found.StatusCode);
            Assert.Contains(study, found.Content, StringComparison.Ordinal);
            request.QueryString = new QueryString("?study=Doe%5EJane");
            var refused = Assert.IsType<ContentResult>(await similar.RunAsync(request, Ct));
            Assert.Equal(400, refused.StatusCode);
            Assert.DoesNotContain("Doe", refused.Content, StringComparison.Ordinal);

            Assert.DoesNotContain("Doe", logs.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain("Jane", logs.AllText, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(keyFile);
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, recursive: true);
            }
        }
    }

    [Fact]
    public async Task The_clients_refuse_storage_without_a_token()
    {
        // The same account with no credential at all: Azurite (OAuth on) answers 403, so the test above did use tokens.
        var client = new BlobServiceClient(azurite.Azurite.BlobServiceUri, new BlobClientOptions { Transport = azurite.Transport() });
        var e = await Assert.ThrowsAsync<Azure.RequestFailedException>(async () =>
        {
            await foreach (var _ in client.GetBlobContainersAsync(BlobContainerTraits.None, BlobContainerStates.None, null, Ct))
            {
            }
        });
        Assert.True(e.Status is 401 or 403, e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private sealed class FixedCredential(Azure.Core.TokenCredential credential) : IAzureCredentialFactory
    {
        public Azure.Core.TokenCredential Create(IConfigurationSection connection) => credential;
    }
}
