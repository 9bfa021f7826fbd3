using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using ServerlessMed.Pipeline.Hosting;

namespace ServerlessMed.Pipeline.Telemetry;

/// <summary>OpenTelemetry for the Azure hosts: the pipeline's sources and meters, exported to Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set. Application Insights has local auth off (infra/), so the
/// exporter authenticates with the managed identity named by <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>
/// ("Authorization=AAD;ClientId=..."), the setting the Functions host reads for its own telemetry.</summary>
public static class TelemetrySetup
{
    /// <summary>The name the telemetry identity's connection section goes by (in memory; not a setting).</summary>
    private const string Section = "AzureMonitor";

    public static IOpenTelemetryBuilder AddServerlessMedTelemetry(this IOpenTelemetryBuilder builder, IConfiguration configuration)
    {
        builder.WithTracing(t => t.AddSource(PipelineTelemetry.Name)).WithMetrics(m => m.AddMeter(PipelineTelemetry.Name));
        if (configuration[Settings.ApplicationInsightsConnectionString] is not { Length: > 0 } connectionString)
        {
            return builder;
        }

        builder.UseAzureMonitorExporter();
        builder.Services.AddOptions<AzureMonitorExporterOptions>().Configure<IAzureCredentialFactory>((o, credentials) =>
        {
            o.ConnectionString = connectionString;
            if (EntraClientId(configuration[Settings.ApplicationInsightsAuthenticationString]) is { } clientId)
            {
                var identity = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    [Settings.Key(Section, Settings.Credential)] = "managedidentity",
                    [Settings.Key(Section, Settings.ClientId)] = clientId,
                }).Build();
                o.Credential = credentials.Create(identity.GetSection(Section));
            }
        });
        return builder;
    }

    /// <summary>The ClientId of "Authorization=AAD;ClientId={guid}", or null when the string asks for no Entra auth.</summary>
    public static string? EntraClientId(string? authenticationString)
    {
        if (authenticationString is not { Length: > 0 })
        {
            return null;
        }

        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);
        return parts.GetValueOrDefault("Authorization") is { } a && a.Equals("AAD", StringComparison.OrdinalIgnoreCase) ? parts.GetValueOrDefault("ClientId") : null;
    }
}
