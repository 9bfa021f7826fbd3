using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ServerlessMed.Functions;
using ServerlessMed.GpuWorker;
using ServerlessMed.Infra.Tests;
using ServerlessMed.Pipeline.Hosting;

namespace ServerlessMed.Hosts.Tests;

/// <summary>One configuration contract from Bicep to code, checked by exact name in both directions: every app setting
/// infra/main.bicep gives the Functions app and the worker is read by that host (or, for a few, by the Functions host
/// itself, listed with the reason); with exactly those settings each host's configuration validates and its dependency
/// graph starts, every Azure client getting the managed identity of its own connection; and removing a required setting
/// fails start-up naming it.</summary>
public sealed class ConfigurationContractTests
{
    private static readonly JsonObject Template = Bicep.CompileMain();

    /// <summary>Read by the Functions host, not by the app's code.</summary>
    private static readonly Dictionary<string, string> ReadByFunctionsHost = new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage__accountName"] = "the host's own storage account (leases, scale state)",
        ["AzureWebJobsStorage__credential"] = "the host's own storage, identity-based",
        ["AzureWebJobsStorage__clientId"] = "the host's own storage, identity-based",
    };

    /// <summary>Settings that may be left out (each with what happens then); every other template setting is required.</summary>
    private static readonly Dictionary<string, string> Optional = new(StringComparer.Ordinal)
    {
        ["TenantStorage__credential"] = "DefaultAzureCredential (a developer's own login)",
        ["TenantStorage__clientId"] = "the system-assigned identity",
        ["ServiceBus__credential"] = "DefaultAzureCredential",
        ["ServiceBus__clientId"] = "the system-assigned identity",
        ["ServiceBus__queueName"] = "'generation'",
        ["KeyVault__credential"] = "DefaultAzureCredential",
        ["KeyVault__clientId"] = "the system-assigned identity",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "no telemetry export",
        ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "telemetry without Entra auth (refused while local auth is off)",
        ["SMED_EXECUTION_PROVIDER"] = "Auto",
        ["Search__endpoint"] = "the embedded (USearch) index in the tenant storage",
        ["Search__credential"] = "DefaultAzureCredential",
        ["Search__clientId"] = "the system-assigned identity",
        ["SMED_MAX_DELIVERY_COUNT"] = "5",
        ["SMED_LEASE_SECONDS"] = "300",
        ["AzureWebJobsStorage__accountName"] = "(the Functions host's)",
        ["AzureWebJobsStorage__credential"] = "(the Functions host's)",
        ["AzureWebJobsStorage__clientId"] = "(the Functions host's)",
    };

    private static readonly string FunctionsClientId = Guid.NewGuid().ToString();

    public static Dictionary<string, string> FunctionsAppSettings()
    {
        var site = Bicep.OfType(Template, "Microsoft.Web/sites").Single();
        return site["properties"]!["siteConfig"]!["appSettings"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => Sample((string)s!["name"]!, s!["value"]!.ToString()), StringComparer.Ordinal);
    }

    public static Dictionary<string, string> WorkerSettings()
    {
        var app = Bicep.OfType(Template, "Microsoft.App/containerApps").Single();
        var container = app["properties"]!["template"]!["containers"]!.AsArray().Single()!;
        return container["env"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => Sample((string)s!["name"]!, s!["value"]!.ToString()), StringComparer.Ordinal);
    }

    /// <summary>A literal value as the template has it; for an ARM expression, a value of the same kind (Azurite-shaped
    /// URIs, a client id). A setting this does not know fails the test, so a new setting gets a look.</summary>
    private static string Sample(string name, string value)
    {
        if (!value.StartsWith('['))
        {
            return value;
        }

        return name switch
        {
            _ when name.EndsWith("__blobServiceUri", StringComparison.Ordinal) => "https://127.0.0.1:10000/devstoreaccount1",
            _ when name.EndsWith("__queueServiceUri", StringComparison.Ordinal) => "https://127.0.0.1:10001/devstoreaccount1",
            _ when name.EndsWith("__clientId", StringComparison.Ordinal) => FunctionsClientId,
            "AzureWebJobsStorage__accountName" => "smedhtest",
            "ServiceBus__fullyQualifiedNamespace" => "smed-test.servicebus.windows.net",
            "KeyVault__vaultUri" => "https://smed-test.vault.azure.net/",
            "Search__endpoint" => "https://smed-test.search.windows.net",
            "SMED_ENCODER_MODEL_ID" => "test-encoder",
            "SMED_DIFFUSION_MODEL_ID" => "test-diffusion",
            "SMED_MAX_DELIVERY_COUNT" => "5",
            "SMED_LEASE_SECONDS" => "300",
            "APPLICATIONINSIGHTS_CONNECTION_STRING" => "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1/",
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" => $"Authorization=AAD;ClientId={FunctionsClientId}",
            _ => throw new InvalidOperationException($"no sample value for template setting {name} = {value}: add one"),
        };
    }

    /// <summary>Wraps the real credential factory, recording which connection each credential was made for.</summary>
    private sealed class RecordingCredentials(IAzureCredentialFactory inner) : IAzureCredentialFactory
    {
        public List<(string Section, TokenCredential Credential)> Made { get; } = [];

        public TokenCredential Create(IConfigurationSection connection)
        {
            var credential = inner.Create(connection);
            lock (Made)
            {
                Made.Add((connection.Path, credential));
            }

            return credential;
        }
    }

    private sealed record StartedHost(IHost Host, RecordingConfiguration Configuration, RecordingCredentials Credentials);

    private static StartedHost Build(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection, IConfiguration> configure)
    {
        var recording = new RecordingConfiguration(settings);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(recording.Configuration);
        builder.Services.AddLogging();
        configure(builder.Services, builder.Configuration);
        RecordingCredentials? credentials = null;
        builder.Services.AddSingleton<IAzureCredentialFactory>(sp => credentials = new RecordingCredentials(ActivatorUtilities.CreateInstance<ConfiguredCredentialFactory>(sp)));
        var host = builder.Build();
        _ = host.Services.GetRequiredService<IAzureCredentialFactory>();
        return new StartedHost(host, recording, credentials!);
    }

    /// <summary>What a host's start does before it takes work: options validation (ValidateOnStart), then its classes.</summary>
    private static void StartFunctions(IHost host)
    {
        host.Services.GetRequiredService<IStartupValidator>().Validate();
        _ = ActivatorUtilities.CreateInstance<IngestFunction>(host.Services);
        _ = ActivatorUtilities.CreateInstance<StatusFunction>(host.Services);
        _ = ActivatorUtilities.CreateInstance<SimilarFunction>(host.Services);
        _ = ActivatorUtilities.CreateInstance<IndexFunction>(host.Services);
        _ = host.Services.GetServices<IHostedService>().ToList();
    }

    private static void StartWorker(IHost host)
    {
        host.Services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Contains(host.Services.GetServices<IHostedService>(), s => s is GenerationWorker);
    }

    [Fact]
    public void Every_setting_the_templates_give_the_functions_app_is_read_and_the_app_starts_with_exactly_those()
    {
        var settings = FunctionsAppSettings();
        var started = Build(settings, (s, c) => IngestApp.ConfigureServices(s, c));
        using var host = started.Host;
        StartFunctions(host);
        var unread = settings.Keys.Where(k => !started.Configuration.Read.Contains(k) && !ReadByFunctionsHost.ContainsKey(k)).ToList();
        Assert.True(unread.Count == 0, "set by infra/ but read by no code: " + string.Join(", ", unread));
        Assert.All(ReadByFunctionsHost.Keys, k => Assert.Contains(k, settings.Keys));

        // Storage, Service Bus, Key Vault and Azure AI Search: each client with the managed identity of its own connection.
        var made = started.Credentials.Made.ToDictionary(m => m.Section, m => m.Credential);
        foreach (var section in new[] { "TenantStorage", "ServiceBus", "KeyVault", "Search" })
        {
            Assert.IsType<ManagedIdentityCredential>(made[section]);
            Assert.Contains($"{section}__clientId", started.Configuration.Read);
        }

        // Telemetry to Application Insights (local auth off) with the app's identity, as the exporter will send it.
        var exporter = host.Services.GetRequiredService<IOptionsMonitor<Azure.Monitor.OpenTelemetry.Exporter.AzureMonitorExporterOptions>>().CurrentValue;
        Assert.Equal(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"], exporter.ConnectionString);
        Assert.IsType<ManagedIdentityCredential>(exporter.Credential);
    }

    [Fact]
    public void Every_setting_the_templates_give_the_worker_is_read_and_the_worker_starts_with_exactly_those()
    {
        var settings = WorkerSettings();
        var started = Build(settings, (s, c) => GenerationApp.ConfigureServices(s, c));
        using var host = started.Host;
        StartWorker(host);
        var unread = settings.Keys.Where(k => !started.Configuration.Read.Contains(k)).ToList();
        Assert.True(unread.Count == 0, "set by infra/ but read by no code: " + string.Join(", ", unread));
        var made = started.Credentials.Made.ToDictionary(m => m.Section, m => m.Credential);
        Assert.IsType<ManagedIdentityCredential>(made["TenantStorage"]);
        Assert.IsType<ManagedIdentityCredential>(made["ServiceBus"]);
        var options = host.Services.GetRequiredService<IOptions<GenerationHostSettings>>().Value;
        Assert.Equal(ServerlessMed.Inference.Onnx.ExecutionProviderPreference.Cuda, options.Onnx.Provider);
        Assert.Equal(TimeSpan.FromSeconds(300), options.Lease);
    }

    public static TheoryData<string, string> RemovableSettings()
    {
        var data = new TheoryData<string, string>();
        foreach (var k in FunctionsAppSettings().Keys)
        {
            data.Add("functions", k);
        }

        foreach (var k in WorkerSettings().Keys)
        {
            data.Add("worker", k);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RemovableSettings))]
    public void A_required_setting_left_out_fails_start_up_naming_it_and_an_optional_one_does_not(string hostName, string setting)
    {
        var settings = hostName == "functions" ? FunctionsAppSettings() : WorkerSettings();
        settings.Remove(setting);
        var started = hostName == "functions" ? Build(settings, (s, c) => IngestApp.ConfigureServices(s, c)) : Build(settings, (s, c) => GenerationApp.ConfigureServices(s, c));
        using var host = started.Host;
        Action start = hostName == "functions" ? () => StartFunctions(host) : () => StartWorker(host);
        if (Optional.ContainsKey(setting))
        {
            start();
            return;
        }

        var e = Assert.Throws<OptionsValidationException>(start);
        Assert.Contains(e.Failures, f => f.StartsWith(setting + " is not set: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Wrong_values_are_named_without_quoting_them()
    {
        var settings = FunctionsAppSettings();
        settings["TenantStorage__blobServiceUri"] = "not a uri";
        settings["SMED_ENCODER_MODEL_ID"] = "../escape";
        settings["SMED_POLICY"] = "/nonexistent/policy.json";
        var started = Build(settings, (s, c) => IngestApp.ConfigureServices(s, c));
        using var host = started.Host;
        var e = Assert.Throws<OptionsValidationException>(() => StartFunctions(host));
        Assert.Contains("TenantStorage__blobServiceUri is not an absolute https URI", e.Failures);
        Assert.Contains("SMED_ENCODER_MODEL_ID must be one folder name of the tenant's models container", e.Failures);
        Assert.Contains(e.Failures, f => f.StartsWith("SMED_POLICY is not a valid policy: ", StringComparison.Ordinal));

        var worker = WorkerSettings();
        worker["SMED_EXECUTION_PROVIDER"] = "Gpu";
        worker["TenantStorage"] = "AccountName=x;AccountKey=secret-looking-value";
        var w = Build(worker, (s, c) => GenerationApp.ConfigureServices(s, c));
        using var workerHost = w.Host;
        var we = Assert.Throws<OptionsValidationException>(() => StartWorker(workerHost));
        Assert.Contains("SMED_EXECUTION_PROVIDER must be one of Auto, Cpu, Cuda", we.Failures);
        Assert.Contains(we.Failures, f => f.StartsWith("TenantStorage is not a storage connection string", StringComparison.Ordinal));
        Assert.DoesNotContain("secret-looking-value", string.Join('\n', we.Failures), StringComparison.Ordinal);
    }
}
