using Azure.Core;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Makes the <see cref="TokenCredential"/> of one connection section. The default reads the section as the
/// Functions host and Microsoft.Extensions.Azure do (<c>credential</c>: managedidentity with <c>clientId</c>, workload
/// identity, ...; absent: DefaultAzureCredential, for a developer's own login), so a trigger and our clients
/// authenticate alike. Tests register their own.</summary>
public interface IAzureCredentialFactory
{
    TokenCredential Create(IConfigurationSection connection);
}

/// <summary>The default: Microsoft.Extensions.Azure's <see cref="AzureComponentFactory"/>.</summary>
public sealed class ConfiguredCredentialFactory(AzureComponentFactory components) : IAzureCredentialFactory
{
    public TokenCredential Create(IConfigurationSection connection) => components.CreateTokenCredential(connection);
}

/// <summary>Applied to the options of every Azure client a host builds (Blob, Queue, Service Bus, Key Vault): one
/// place for transport, retry and diagnostics settings. Empty by default.</summary>
public sealed class AzureClientDefaults
{
    public Action<ClientOptions>? Configure { get; set; }

    /// <summary>Service Bus clients do not derive from <see cref="ClientOptions"/> (AMQP), so they have their own hook.</summary>
    public Action<Azure.Messaging.ServiceBus.ServiceBusClientOptions>? ConfigureServiceBus { get; set; }
}
