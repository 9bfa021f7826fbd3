using Azure.Messaging.ServiceBus;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Builds a host's Azure clients from its settings: each with the credential of its own connection section
/// (managed identity and client id from settings), and the shared client defaults. Connection strings only for
/// Azurite.</summary>
public sealed class AzureClients(IConfiguration configuration, IAzureCredentialFactory credentials, IOptions<AzureClientDefaults> defaults)
{
    public TenantStorage Storage(TenantStorageOptions options) => options.ConnectionString is { Length: > 0 }
        ? new TenantStorage(options, configure: defaults.Value.Configure)
        : new TenantStorage(options, credentials.Create(configuration.GetSection(Settings.TenantStorage)), defaults.Value.Configure);

    /// <summary>The generation queue: Service Bus when a namespace is set, else the storage account's queue.</summary>
    public IJobQueue GenerationQueue(GenerationQueueSettings settings, TenantStorage storage)
    {
        if (settings.FullyQualifiedNamespace is not { } ns)
        {
            return StorageJobQueue.Of(storage, storage.Options.GenerationQueue);
        }

        var options = new ServiceBusClientOptions();
        defaults.Value.ConfigureServiceBus?.Invoke(options);
        var client = new ServiceBusClient(ns, credentials.Create(configuration.GetSection(Settings.ServiceBus)), options);
        return new ServiceBusJobQueue(client, settings.QueueName, ownsClient: true);
    }

    public SecretClient Secrets(Uri vaultUri)
    {
        var options = new SecretClientOptions();
        defaults.Value.Configure?.Invoke(options);
        return new SecretClient(vaultUri, credentials.Create(configuration.GetSection(Settings.KeyVault)), options);
    }
}
