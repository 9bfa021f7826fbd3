using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Logging;

namespace ServerlessMed.Pipeline.Telemetry;

/// <summary>Logs to Azure Monitor beside the console when APPLICATIONINSIGHTS_CONNECTION_STRING is set.</summary>
public static class TelemetryLogging
{
    public static ILoggingBuilder AddServerlessMedTelemetry(this ILoggingBuilder logging)
    {
        if (TelemetryExport.AzureMonitorConnectionString is { } cs)
        {
            logging.AddOpenTelemetry(o => o.AddAzureMonitorLogExporter(a => a.ConnectionString = cs));
        }

        return logging;
    }
}
