using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using ServerlessMed.Functions;

// The ingest Functions app (isolated worker). Settings are validated at start-up (each wrong or missing one named);
// every Azure client uses the app's managed identity; the function classes are thin over ServerlessMed.Pipeline.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
IngestApp.ConfigureServices(builder.Services, builder.Configuration);
builder.Build().Run();
