namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Where generation requests go: a Service Bus queue when <c>ServiceBus__fullyQualifiedNamespace</c> is set
/// (Azure; identity from <c>ServiceBus__credential</c> / <c>__clientId</c>), else the tenant storage account's queue,
/// which only Azurite and local runs use: with identity-based storage (Azure) the namespace is required, so a
/// forgotten setting cannot send requests to a queue no worker reads.</summary>
public sealed class GenerationQueueSettings
{
    public const string DefaultQueueName = "generation";

    /// <summary>e.g. smed-contoso-abc.servicebus.windows.net; null: storage queue.</summary>
    public string? FullyQualifiedNamespace { get; init; }

    public string QueueName { get; init; } = DefaultQueueName;

    /// <param name="storage">The host's storage settings, already read: a connection string allows the storage queue.</param>
    public static GenerationQueueSettings Read(SettingsReader settings, Storage.TenantStorageOptions storage)
    {
        var nsKey = Settings.Key(Settings.ServiceBus, Settings.FullyQualifiedNamespace);
        var ns = settings.String(nsKey);
        if (ns is null && storage.ConnectionString is null)
        {
            settings.Missing(nsKey, $"the generation queue's Service Bus namespace (the storage account's queue serves only Azurite and local runs, with {Settings.TenantStorage} as a connection string)");
        }

        if (ns is not null && (ns.Contains('/', StringComparison.Ordinal) || !ns.Contains('.', StringComparison.Ordinal)))
        {
            settings.Fail(nsKey, "must be a host name such as contoso.servicebus.windows.net (no scheme, no path)");
        }

        return new GenerationQueueSettings
        {
            FullyQualifiedNamespace = ns,
            QueueName = settings.String(Settings.Key(Settings.ServiceBus, Settings.QueueName)) ?? DefaultQueueName,
        };
    }
}
