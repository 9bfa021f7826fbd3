using Microsoft.Extensions.Logging;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary>What a handler says about a message it could not process.</summary>
public enum FailureKind
{
    /// <summary>May succeed later (storage unavailable): the message comes back.</summary>
    Transient,

    /// <summary>Will never succeed: dead-lettered at once.</summary>
    Permanent,
}

/// <summary>Pumps one queue: receive under a lease, run the handler, complete on success, abandon on a transient
/// failure, dead-letter on a permanent one or after <see cref="MaxDeliveryCount"/> deliveries (poison).</summary>
public sealed class QueueProcessor(IJobQueue queue, Func<JobMessage, CancellationToken, Task> handler, Func<Exception, FailureKind> classify, ILogger logger)
{
    public int MaxDeliveryCount { get; init; } = 5;

    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    public int BatchSize { get; init; } = 16;

    /// <summary>Processes what is visible now; returns how many messages it handled (0 = idle).</summary>
    public async Task<int> ProcessAvailableAsync(CancellationToken cancellationToken = default)
    {
        var messages = await queue.ReceiveAsync(BatchSize, Lease, cancellationToken).ConfigureAwait(false);
        foreach (var m in messages)
        {
            if (m.DequeueCount > MaxDeliveryCount)
            {
                logger.LogWarning("message {MessageId} on {Queue} delivered {Count} times: moved to poison", m.Id, queue.Name, m.DequeueCount);
                await queue.DeadLetterAsync(m, "max-delivery-count", cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await handler(m, cancellationToken).ConfigureAwait(false);
                await queue.CompleteAsync(m, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (classify(e) == FailureKind.Permanent)
                {
                    logger.LogError("message {MessageId} on {Queue} failed permanently ({Error}): moved to poison", m.Id, queue.Name, e.GetType().Name);
                    await queue.DeadLetterAsync(m, e.GetType().Name, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    logger.LogWarning("message {MessageId} on {Queue} failed ({Error}); it will be retried", m.Id, queue.Name, e.GetType().Name);
                    await queue.AbandonAsync(m, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return messages.Count;
    }
}
