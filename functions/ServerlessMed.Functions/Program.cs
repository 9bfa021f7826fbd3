using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Telemetry;

// The ingest Functions app (isolated worker). Settings are validated at start-up (each wrong or missing one named);
// every Azure client uses the app's managed identity; the function classes are thin over ServerlessMed.Pipeline.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddServerlessMedIngest(builder.Configuration);
builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults().AddServerlessMedTelemetry(builder.Configuration);
builder.Build().Run();
