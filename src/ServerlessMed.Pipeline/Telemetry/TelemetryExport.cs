using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ServerlessMed.Pipeline.Telemetry;

/// <summary>Exports the pipeline's traces and metrics: to Azure Monitor (Application Insights) when
/// APPLICATIONINSIGHTS_CONNECTION_STRING is set, else to the console when <c>console</c> is asked for, else nowhere.
/// Dispose to flush.</summary>
public sealed class TelemetryExport : IDisposable
{
    private readonly TracerProvider? _tracer;
    private readonly MeterProvider? _meter;

    private TelemetryExport(TracerProvider? tracer, MeterProvider? meter)
    {
        _tracer = tracer;
        _meter = meter;
    }

    public static string? AzureMonitorConnectionString => Environment.GetEnvironmentVariable("APPLICATIONINSIGHTS_CONNECTION_STRING") is { Length: > 0 } cs ? cs : null;

    public static TelemetryExport Start(string serviceName, bool console)
    {
        var azure = AzureMonitorConnectionString;
        if (azure is null && !console)
        {
            return new TelemetryExport(null, null);
        }

        var resource = ResourceBuilder.CreateDefault().AddService(serviceName);
        var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(PipelineTelemetry.Name);
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(PipelineTelemetry.Name);
        if (azure is not null)
        {
            tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = azure);
            metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = azure);
        }
        else
        {
            tracing.AddConsoleExporter();
            metrics.AddConsoleExporter();
        }

        return new TelemetryExport(tracing.Build(), metrics.Build());
    }

    public void Dispose()
    {
        _tracer?.Dispose();
        _meter?.Dispose();
    }
}
