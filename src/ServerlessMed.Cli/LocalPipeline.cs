using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Hosting;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Cli;

/// <summary>How <c>smed run</c> and <c>smed demo</c> build the pipeline: the hosts' own settings (environment variables,
/// as the Functions app and the worker read them), with the command's options on top, through the same registrations
/// and runtimes as in Azure. Without model ids in the settings, the test models under the models folder are published
/// to the tenant's models container first (as a tenant uploads its models), so even the demo loads them the Azure way.</summary>
internal static class LocalPipeline
{
    /// <summary>The test models and the ids they are published under.</summary>
    public const string TestEncoderId = "tiny-gray";

    public const string TestDiffusionId = "tiny-sd";

    /// <param name="connectionString">A storage connection string (Azurite), or null to use TenantStorage settings.</param>
    /// <param name="keyFile">The tenant key file (already resolved and existing), or null for the settings' Key Vault.</param>
    public static async Task<PipelineHost> StartAsync(string? connectionString, string? keyFile, string? policy, string modelsRoot, bool generation, TenantStorageOptions? processing, ILoggerFactory logging, CancellationToken cancellationToken)
    {
        var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (connectionString is not null)
        {
            overrides[Settings.TenantStorage] = connectionString;
        }

        if (keyFile is not null)
        {
            overrides[Settings.KeyFile] = keyFile;
        }

        if (policy is not null)
        {
            overrides[Settings.Policy] = Path.GetFullPath(policy);
        }

        // Local runs are reproducible on any machine: CPU, unless the environment asks for a provider.
        overrides[Settings.ExecutionProvider] = environment[Settings.ExecutionProvider] ?? "Cpu";
        overrides[Settings.ModelCache] = environment[Settings.ModelCache] ?? Path.Combine(Path.GetTempPath(), "smed-model-cache");
        var needEncoder = environment[Settings.EncoderModelId] is not { Length: > 0 };
        var needDiffusion = generation && environment[Settings.DiffusionModelId] is not { Length: > 0 };
        var storageConnection = connectionString ?? environment[Settings.TenantStorage];
        // Against a real account (identity-based settings) the models are the tenant's: their ids must be set.
        if ((needEncoder || needDiffusion) && storageConnection is { Length: > 0 })
        {
            var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = storageConnection });
            if (needEncoder)
            {
                await ModelPublisher.PublishAsync(storage, TestEncoderId, Path.Combine(modelsRoot, "encoders", TestEncoderId), cancellationToken).ConfigureAwait(false);
                overrides[Settings.EncoderModelId] = TestEncoderId;
            }

            if (needDiffusion)
            {
                await ModelPublisher.PublishAsync(storage, TestDiffusionId, Path.Combine(modelsRoot, "diffusion", TestDiffusionId), cancellationToken).ConfigureAwait(false);
                overrides[Settings.DiffusionModelId] = TestDiffusionId;
            }
        }

        var configuration = new ConfigurationBuilder().AddConfiguration(environment).AddInMemoryCollection(overrides).Build();
        return await PipelineHost.FromSettingsAsync(configuration, logging, generation, processing, cancellationToken).ConfigureAwait(false);
    }
}
