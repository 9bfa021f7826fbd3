using Microsoft.Extensions.Options;
using ServerlessMed.GpuWorker;
using ServerlessMed.Pipeline.Hosting;

// The GPU worker: settings validated at start-up (each wrong or missing one named), storage and Service Bus with the
// worker's managed identity, the diffusion model loaded before the first job, /healthz for Container Apps' probes.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["SMED_HEALTH_URL"] ?? "http://0.0.0.0:8080");
// Probes arrive every few seconds: ASP.NET Core's request lines would drown the worker's own.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
// SIGTERM: the worker stops taking messages and abandons the running one within this grace (Container Apps sends
// SIGTERM and waits terminationGracePeriodSeconds before SIGKILL; see infra/).
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(int.TryParse(builder.Configuration["SMED_SHUTDOWN_SECONDS"], out var s) ? s : 25));
GenerationApp.ConfigureServices(builder.Services, builder.Configuration);

var app = builder.Build();
// Liveness: the process answers (a model download may take minutes, which must not restart the container).
// Readiness: the model is loaded and the worker takes requests.
app.MapGet("/healthz", (GenerationRuntime runtime) => Results.Ok(Health(runtime)));
app.MapGet("/readyz", (GenerationRuntime runtime) => runtime.Service is null
    ? Results.Json(Health(runtime), statusCode: StatusCodes.Status503ServiceUnavailable)
    : Results.Ok(Health(runtime)));
try
{
    // Settings first, before the host logs a start-up failure with its stack trace.
    _ = app.Services.GetRequiredService<IOptions<GenerationHostSettings>>().Value;
}
catch (OptionsValidationException e)
{
    // Wrong or missing settings: one line each, no stack trace, and an exit code Container Apps shows.
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine($"generation worker cannot start: {failure}");
    }

    return GenerationWorker.RefusedExitCode;
}

await app.RunAsync();
return Environment.ExitCode;

static object Health(GenerationRuntime runtime) => runtime.Service is { } service
    ? new { status = "ok", model = service.Model.Id, modelHash = service.Model.Hash, provider = service.Model.Provider }
    : new { status = "starting" };
