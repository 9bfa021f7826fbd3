namespace ServerlessMed.Pipeline.Messaging;

/// <summary>A received message under a lease: invisible to others until completed, abandoned or the lease ends.</summary>
public sealed record JobMessage(string Id, string Body, long DequeueCount, string LeaseToken)
{
    /// <summary>The transport's own received message, for transports that settle by message rather than by token
    /// (Service Bus). Not part of the message's identity.</summary>
    internal object? Native { get; init; }
}

/// <summary>At-least-once job queue (Storage Queues locally, Service Bus in Azure).</summary>
public interface IJobQueue
{
    string Name { get; }

    Task SendAsync(string body, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> messages, each leased for <paramref name="lease"/>.</summary>
    Task<IReadOnlyList<JobMessage>> ReceiveAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default);

    Task<JobMessage> RenewAsync(JobMessage message, TimeSpan lease, CancellationToken cancellationToken = default);

    Task CompleteAsync(JobMessage message, CancellationToken cancellationToken = default);

    /// <summary>Makes the message visible again now (a transient failure: it will be retried).</summary>
    Task AbandonAsync(JobMessage message, CancellationToken cancellationToken = default);

    /// <summary>Moves the message to the dead-letter (poison) queue with a reason code and a PHI-free description.</summary>
    Task DeadLetterAsync(JobMessage message, string reason, string? description = null, CancellationToken cancellationToken = default);

    /// <summary>Approximate number of messages waiting (visible or not).</summary>
    Task<int> CountAsync(CancellationToken cancellationToken = default);
}
