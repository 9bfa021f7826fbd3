using Azure.Storage.Queues;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary><see cref="IJobQueue"/> on Azure Storage Queues: leases are visibility timeouts, the lease token is the
/// pop receipt, dead-lettering copies the message to "{name}-poison" (as the Functions host does) and deletes it.</summary>
public sealed class StorageJobQueue(QueueClient queue, QueueClient poison) : IJobQueue
{
    /// <summary>The tenant storage account's queue <paramref name="name"/> with its poison queue.</summary>
    public static StorageJobQueue Of(TenantStorage storage, string name) => new(storage.Queue(name), storage.Queue(name + "-poison"));

    public string Name => queue.Name;

    public async Task SendAsync(string body, CancellationToken cancellationToken = default) =>
        await queue.SendMessageAsync(body, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<JobMessage>> ReceiveAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var response = await queue.ReceiveMessagesAsync(Math.Clamp(max, 1, 32), lease, cancellationToken).ConfigureAwait(false);
        return [.. response.Value.Select(m => new JobMessage(m.MessageId, m.Body.ToString(), m.DequeueCount, m.PopReceipt))];
    }

    public async Task<JobMessage> RenewAsync(JobMessage message, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var r = await queue.UpdateMessageAsync(message.Id, message.LeaseToken, visibilityTimeout: lease, cancellationToken: cancellationToken).ConfigureAwait(false);
        return message with { LeaseToken = r.Value.PopReceipt };
    }

    public async Task CompleteAsync(JobMessage message, CancellationToken cancellationToken = default) =>
        await queue.DeleteMessageAsync(message.Id, message.LeaseToken, cancellationToken).ConfigureAwait(false);

    public async Task AbandonAsync(JobMessage message, CancellationToken cancellationToken = default) =>
        await queue.UpdateMessageAsync(message.Id, message.LeaseToken, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Storage queues carry no properties: the reason stays in the processor's log and failure document,
    /// as with the Functions host's own poison handling.</summary>
    public async Task DeadLetterAsync(JobMessage message, string reason, string? description = null, CancellationToken cancellationToken = default)
    {
        await poison.SendMessageAsync(message.Body, cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.Id, message.LeaseToken, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken = default) =>
        (await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
}
