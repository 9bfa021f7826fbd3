using ServerlessMed.Deid;
using ServerlessMed.GpuWorker;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;

var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["SMED_HEALTH_URL"] ?? "http://0.0.0.0:8080");
builder.Services.AddSingleton(sp =>
{
    var config = sp.GetRequiredService<IConfiguration>();
    var models = config["SMED_MODELS"] ?? "/models";
    return PipelineHost.Create(new PipelineHostOptions
    {
        Storage = new TenantStorageOptions { ConnectionString = config["TenantStorage"] },
        // The worker never de-identifies; it needs no real tenant key.
        Key = new TenantKey(new byte[32]),
        DiffusionFolder = Path.Combine(models, config["SMED_DIFFUSION_MODEL"] ?? "diffusion/tiny-sd"),
        Onnx = new OnnxSessionOptions
        {
            Provider = Enum.Parse<ExecutionProviderPreference>(config["SMED_EXECUTION_PROVIDER"] ?? "Auto", ignoreCase: true),
            DeviceId = int.TryParse(config["SMED_CUDA_DEVICE"], out var d) ? d : 0,
            IntraOpThreads = 0,
        },
    }, sp.GetRequiredService<ILoggerFactory>().CreateLogger("ServerlessMed.GpuWorker"));
});
builder.Services.AddHostedService<GenerationWorker>();

var app = builder.Build();
app.MapGet("/healthz", (PipelineHost host) => Results.Ok(new { status = "ok", provider = host.Diffusion?.Provider }));
app.Run();
