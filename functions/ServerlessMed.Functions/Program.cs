using System.Text.Json;
using ServerlessMed.Deid;
using ServerlessMed.Functions;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Pipeline.Telemetry;

// The Functions host starts this executable and sends each invocation to http://127.0.0.1:{port}/{function}.
var builder = WebApplication.CreateSlimBuilder(args);
// Traces and metrics to Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set, else to the console.
using var telemetry = TelemetryExport.Start("serverlessmed-functions", console: true);
builder.Logging.AddServerlessMedTelemetry();
var port = Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT") ?? "8080";
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Services.AddSingleton(sp =>
{
    var config = sp.GetRequiredService<IConfiguration>();
    var models = config["SMED_MODELS"] ?? Path.Combine(AppContext.BaseDirectory, "models");
    return PipelineHost.Create(new PipelineHostOptions
    {
        Storage = new TenantStorageOptions { ConnectionString = config["TenantStorage"] ?? config["AzureWebJobsStorage"] },
        // In Azure the key is the Key Vault secret (read with the app's managed identity); locally a key file.
        Key = config["SMED_KEY_VAULT_URI"] is { Length: > 0 } vault
            ? KeyVaultTenantKey.LoadAsync(new Uri(vault), new Azure.Identity.DefaultAzureCredential(new Azure.Identity.DefaultAzureCredentialOptions { ManagedIdentityClientId = config["AZURE_CLIENT_ID"] })).GetAwaiter().GetResult()
            : TenantKey.LoadOrCreate(config["SMED_KEY_FILE"], createIfMissing: false),
        Policy = config["SMED_POLICY"] is { Length: > 0 } p ? DeidPolicy.Load(p) : DeidPolicy.Default,
        EncoderFolder = Path.Combine(models, "encoders", "tiny-gray"),
        // Service Bus in Azure (SMED_SERVICEBUS_NAMESPACE), the storage account's queue otherwise.
        GenerationQueue = PipelineHostOptions.ServiceBusFromEnvironment(),
    }, sp.GetRequiredService<ILoggerFactory>().CreateLogger("ServerlessMed.Functions"));
});

var app = builder.Build();

// Queue trigger "ingest": Data.event is the queue message (a BlobCreated event in the Event Grid schema).
app.MapPost("/ingest", async (InvocationRequest request, PipelineHost host, CancellationToken ct) =>
{
    if (!request.Data.TryGetValue("event", out var message))
    {
        return Results.BadRequest(new InvocationResponse { Logs = { "ingest: the invocation has no 'event' binding data" } });
    }

    var json = message.ValueKind == JsonValueKind.String ? message.GetString()! : message.GetRawText();
    var outcome = await host.Ingest.HandleAsync(BlobCreatedEvent.Parse(json), ct);
    // Throwing would make the host retry; permanent failures are already quarantined by the stage.
    return Results.Ok(new InvocationResponse { Logs = { $"ingest: {outcome.Status}" }, ReturnValue = outcome.Status.ToString() });
});

// HTTP trigger "status": counts of what exists for one de-identified study.
app.MapPost("/status", async (InvocationRequest request, PipelineHost host, CancellationToken ct) =>
{
    var study = request.Metadata.TryGetValue("study", out var s) ? s.GetString() ?? string.Empty : string.Empty;
    if (study.Length == 0 || !ServerlessMed.Dicom.DicomUID.IsValid(study))
    {
        return Results.Ok(new InvocationResponse { Outputs = { ["$return"] = new { statusCode = 400, body = "study must be a de-identified Study Instance UID" } } });
    }

    async Task<int> Count(string container)
    {
        var n = 0;
        await foreach (var _ in host.Storage.Container(container).GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = study + "/" }, ct))
        {
            n++;
        }

        return n;
    }

    var body = new { study, instances = await Count(host.Storage.Options.Deid), generatedFiles = await Count(host.Storage.Options.Generated) };
    return Results.Ok(new InvocationResponse { Outputs = { ["$return"] = new { statusCode = 200, body = JsonSerializer.Serialize(body) } } });
});

app.Run();
