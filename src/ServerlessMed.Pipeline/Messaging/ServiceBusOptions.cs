namespace ServerlessMed.Pipeline.Messaging;

/// <summary>Where a Service Bus queue lives and how to authenticate: a token credential (Azure.Identity
/// DefaultAzureCredential in Azure, with the "https://servicebus.azure.net/.default" scope) or a SAS key.</summary>
public sealed class ServiceBusOptions
{
    /// <summary>Namespace endpoint, e.g. https://contoso-smed.servicebus.windows.net/.</summary>
    public required Uri Endpoint { get; init; }

    public required string Queue { get; init; }

    /// <summary>Queue that dead-lettered messages go to, with their reason (default "{Queue}-poison"). The REST data
    /// plane has no dead-letter operation, so this transport keeps poison messages in a queue of their own.</summary>
    public string? PoisonQueue { get; init; }

    public Azure.Core.TokenCredential? Credential { get; init; }

    public string? SasKeyName { get; init; }

    public string? SasKey { get; init; }

    /// <summary>How long a receive waits for a message (the REST "timeout" query, seconds).</summary>
    public int ReceiveTimeoutSeconds { get; init; } = 1;
}
