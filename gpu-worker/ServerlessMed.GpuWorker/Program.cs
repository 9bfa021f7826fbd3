using ServerlessMed.Deid;
using ServerlessMed.GpuWorker;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Pipeline.Telemetry;

var builder = WebApplication.CreateSlimBuilder(args);
// Traces and metrics to Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set, else to the console.
using var telemetry = TelemetryExport.Start("serverlessmed-gpu-worker", console: true);
builder.Logging.AddServerlessMedTelemetry();
builder.WebHost.UseUrls(builder.Configuration["SMED_HEALTH_URL"] ?? "http://0.0.0.0:8080");
// SIGTERM: the worker stops taking messages and abandons the running one within this grace (Container Apps sends
// SIGTERM and waits terminationGracePeriodSeconds before SIGKILL; see infra/).
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(int.TryParse(builder.Configuration["SMED_SHUTDOWN_SECONDS"], out var s) ? s : 25));
var config = builder.Configuration;
var storageOptions = new TenantStorageOptions { ConnectionString = config["TenantStorage"] };
using var startupLogger = LoggerFactory.Create(l => l.AddSimpleConsole());
var log = startupLogger.CreateLogger("ServerlessMed.GpuWorker");

// The model: SMED_MODEL_ID names a folder in the tenant's models container (downloaded once per content into
// SMED_MODEL_CACHE); without it, SMED_DIFFUSION_MODEL is a folder under SMED_MODELS baked into the image.
string diffusionFolder;
if (config["SMED_MODEL_ID"] is { Length: > 0 } modelId)
{
    var cache = new ModelCache(new TenantStorage(storageOptions), config["SMED_MODEL_CACHE"] ?? Path.Combine(Path.GetTempPath(), "smed-models"), log);
    diffusionFolder = await cache.GetAsync(modelId);
}
else
{
    diffusionFolder = Path.Combine(config["SMED_MODELS"] ?? "/models", config["SMED_DIFFUSION_MODEL"] ?? "diffusion/tiny-sd");
}

builder.Services.AddSingleton(sp => PipelineHost.Create(new PipelineHostOptions
{
    Storage = storageOptions,
    // The worker never de-identifies; it needs no real tenant key.
    Key = new TenantKey(new byte[32]),
    DiffusionFolder = diffusionFolder,
    // Service Bus in Azure (SMED_SERVICEBUS_NAMESPACE), the storage account's queue otherwise.
    GenerationQueue = PipelineHostOptions.ServiceBusFromEnvironment(),
    Onnx = new OnnxSessionOptions
    {
        Provider = Enum.Parse<ExecutionProviderPreference>(config["SMED_EXECUTION_PROVIDER"] ?? "Auto", ignoreCase: true),
        DeviceId = int.TryParse(config["SMED_CUDA_DEVICE"], out var d) ? d : 0,
        CudnnConvAlgoSearch = config["SMED_CUDNN_CONV_ALGO_SEARCH"] ?? "EXHAUSTIVE",
        IntraOpThreads = 0,
    },
}, sp.GetRequiredService<ILoggerFactory>().CreateLogger("ServerlessMed.GpuWorker")));
builder.Services.AddHostedService<GenerationWorker>();

var app = builder.Build();
app.MapGet("/healthz", (PipelineHost host) => Results.Ok(new { status = "ok", model = host.Diffusion?.Id, modelHash = host.Diffusion?.Hash, provider = host.Diffusion?.Provider }));
app.Run();
