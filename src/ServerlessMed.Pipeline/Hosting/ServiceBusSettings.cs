namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Where generation requests go: a Service Bus queue when <c>ServiceBus__fullyQualifiedNamespace</c> is set
/// (Azure; identity from <c>ServiceBus__credential</c> / <c>__clientId</c>), else the tenant storage account's queue
/// (Azurite, local runs).</summary>
public sealed class GenerationQueueSettings
{
    public const string DefaultQueueName = "generation";

    /// <summary>e.g. smed-contoso-abc.servicebus.windows.net; null: storage queue.</summary>
    public string? FullyQualifiedNamespace { get; init; }

    public string QueueName { get; init; } = DefaultQueueName;

    public static GenerationQueueSettings Read(SettingsReader settings)
    {
        var nsKey = Settings.Key(Settings.ServiceBus, Settings.FullyQualifiedNamespace);
        var ns = settings.String(nsKey);
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
