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

/// <summary>Pumps one queue: receive under a lease (renewed while a long job runs), run the handler, complete on
/// success, abandon on a transient failure or on shutdown, dead-letter on a permanent one or after
/// <see cref="MaxDeliveryCount"/> deliveries (poison), recording a failure document through
/// <see cref="OnDeadLetter"/>.</summary>
public sealed class QueueProcessor(IJobQueue queue, Func<JobMessage, CancellationToken, Task> handler, Func<Exception, FailureKind> classify, ILogger logger)
{
    public int MaxDeliveryCount { get; init; } = 5;

    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a running job's lease is renewed (default: a third of the lease).</summary>
    public TimeSpan? RenewEvery { get; init; }

    public int BatchSize { get; init; } = 16;

    /// <summary>Messages of a batch handled at once (the handler must be thread-safe when above 1).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Called before a message is dead-lettered: (message, reason, exception or null).</summary>
    public Func<JobMessage, string, Exception?, CancellationToken, Task>? OnDeadLetter { get; init; }

    /// <summary>Processes what is visible now; returns how many messages it handled (0 = idle). On cancellation
    /// (SIGTERM) the running message and the rest of the batch are abandoned so another worker takes them at once.</summary>
    public async Task<int> ProcessAvailableAsync(CancellationToken cancellationToken = default)
    {
        var messages = await queue.ReceiveAsync(BatchSize, Lease, cancellationToken).ConfigureAwait(false);
        if (Concurrency > 1 && messages.Count > 1)
        {
            // Messages not started when cancellation comes stay leased and return when the lease ends.
            await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, (m, ct) => new ValueTask(ProcessOneAsync(m, ct))).ConfigureAwait(false);
            return messages.Count;
        }

        for (var i = 0; i < messages.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await AbandonAllAsync(messages.Skip(i)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            await ProcessOneAsync(messages[i], cancellationToken).ConfigureAwait(false);
        }

        return messages.Count;
    }

    private async Task ProcessOneAsync(JobMessage received, CancellationToken cancellationToken)
    {
        if (received.DequeueCount > MaxDeliveryCount)
        {
            logger.LogWarning("message {MessageId} on {Queue} delivered {Count} times: moved to poison", received.Id, queue.Name, received.DequeueCount);
            await DeadLetterAsync(received, "max-delivery-count", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var span = Telemetry.PipelineTelemetry.StartProcessing(queue.Name, received.Id, received.Body);
        var lease = new LeaseKeeper(queue, received, Lease, RenewEvery ?? Lease / 3, logger);
        try
        {
            await handler(received, cancellationToken).ConfigureAwait(false);
            await lease.StopAsync().ConfigureAwait(false);
            await SettleAsync(() => queue.CompleteAsync(lease.Current, cancellationToken), received).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await lease.StopAsync().ConfigureAwait(false);
            logger.LogInformation("shutting down: message {MessageId} on {Queue} abandoned for another worker", received.Id, queue.Name);
            await SettleAsync(() => queue.AbandonAsync(lease.Current, CancellationToken.None), received).ConfigureAwait(false);
            throw;
        }
        catch (Exception e)
        {
            await lease.StopAsync().ConfigureAwait(false);
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.GetType().Name);
            if (classify(e) == FailureKind.Permanent)
            {
                logger.LogError("message {MessageId} on {Queue} failed permanently ({Error}): moved to poison", received.Id, queue.Name, e.GetType().Name);
                await DeadLetterAsync(lease.Current, e.GetType().Name, e, cancellationToken).ConfigureAwait(false);
            }
            else if (received.DequeueCount >= MaxDeliveryCount)
            {
                // The last delivery the queue allows: dead-letter it ourselves, with its failure document, rather
                // than abandon it and let the broker dead-letter it with no record of why.
                logger.LogError("message {MessageId} on {Queue} failed on its last delivery ({Error}): moved to poison", received.Id, queue.Name, e.GetType().Name);
                await DeadLetterAsync(lease.Current, "max-delivery-count", e, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                logger.LogWarning("message {MessageId} on {Queue} failed ({Error}); it will be retried", received.Id, queue.Name, e.GetType().Name);
                await SettleAsync(() => queue.AbandonAsync(lease.Current, cancellationToken), received).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Completes, abandons or dead-letters; a lease already lost (its token refused) only means the message
    /// comes back to someone, which at-least-once handling allows: logged, not thrown into the other messages.</summary>
    private async Task SettleAsync(Func<Task> settle, JobMessage message)
    {
        try
        {
            await settle().ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException e) when (e.Status is 400 or 404 or 410)
        {
            logger.LogWarning("message {MessageId} on {Queue}: lease lost before it was settled (HTTP {Status}); it will be delivered again", message.Id, queue.Name, e.Status);
        }
        catch (Azure.Messaging.ServiceBus.ServiceBusException e) when (e.Reason is Azure.Messaging.ServiceBus.ServiceBusFailureReason.MessageLockLost)
        {
            logger.LogWarning("message {MessageId} on {Queue}: lock lost before it was settled; it will be delivered again", message.Id, queue.Name);
        }
    }

    private async Task DeadLetterAsync(JobMessage message, string reason, Exception? error, CancellationToken ct)
    {
        if (OnDeadLetter is not null)
        {
            await OnDeadLetter(message, reason, error, ct).ConfigureAwait(false);
        }

        // The description names the exception type only: exception messages are not promised to be free of PHI.
        var description = error is null ? $"delivered more than {MaxDeliveryCount} times" : $"{reason}: {error.GetType().Name}";
        await SettleAsync(() => queue.DeadLetterAsync(message, reason, description, ct), message).ConfigureAwait(false);
    }

    private async Task AbandonAllAsync(IEnumerable<JobMessage> messages)
    {
        foreach (var m in messages)
        {
            await queue.AbandonAsync(m, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Renews a message's lease in the background until stopped; the latest lease token is what complete,
    /// abandon and dead-letter must use (Storage Queues change the pop receipt on every renewal).</summary>
    private sealed class LeaseKeeper
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private bool _stopped;

        public LeaseKeeper(IJobQueue queue, JobMessage message, TimeSpan lease, TimeSpan every, ILogger logger)
        {
            Current = message;
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        await Task.Delay(every, _stop.Token).ConfigureAwait(false);
                        Current = await queue.RenewAsync(Current, lease, _stop.Token).ConfigureAwait(false);
                        Renewals++;
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    catch (Exception e)
                    {
                        logger.LogWarning("could not renew the lease of message {MessageId} on {Queue} ({Error})", message.Id, queue.Name, e.GetType().Name);
                    }
                }
            });
        }

        public JobMessage Current { get; private set; }

        public int Renewals { get; private set; }

        /// <summary>Idempotent: a completion that fails after the lease was stopped goes through the error path too.</summary>
        public async Task StopAsync()
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
            _stop.Dispose();
        }
    }
}
