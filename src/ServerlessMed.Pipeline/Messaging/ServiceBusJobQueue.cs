using System.Security.Cryptography;
using System.Text;
using Azure.Messaging.ServiceBus;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary><see cref="IJobQueue"/> on an Azure Service Bus queue through Azure.Messaging.ServiceBus: peek-lock
/// receive, lock renewal, complete, abandon, and dead-lettering into the queue's own dead-letter sub-queue with a
/// reason and description; the delivery count is the broker's. The lock duration is the queue's (Service Bus takes
/// none per receive), so the lease asked of <see cref="ReceiveAsync"/> only bounds how often the processor renews.
/// The client is shared (one AMQP connection per host); senders and receivers are created once and reused.</summary>
public sealed class ServiceBusJobQueue : IJobQueue, IAsyncDisposable
{
    /// <summary>At most this many messages are peeked to answer <see cref="CountAsync"/>.</summary>
    public const int CountLimit = 256;

    private readonly ServiceBusClient _client;
    private readonly bool _ownsClient;
    private readonly ServiceBusSender _sender;
    private readonly Lazy<ServiceBusReceiver> _receiver;
    private readonly TimeSpan _receiveWait;

    /// <param name="client">The shared client (namespace and credential).</param>
    /// <param name="queueName">The queue ("generation").</param>
    /// <param name="receiveWait">How long a receive waits for a first message before returning none.</param>
    /// <param name="ownsClient">Dispose the client with this queue (the host built it for this queue alone).</param>
    public ServiceBusJobQueue(ServiceBusClient client, string queueName, TimeSpan? receiveWait = null, bool ownsClient = false)
    {
        Name = queueName;
        _client = client;
        _ownsClient = ownsClient;
        _sender = client.CreateSender(queueName);
        // Created on first receive: a host that only sends (the Functions app) never opens a receiving link.
        _receiver = new Lazy<ServiceBusReceiver>(() => client.CreateReceiver(queueName, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.PeekLock, PrefetchCount = 0 }));
        _receiveWait = receiveWait ?? TimeSpan.FromSeconds(1);
    }

    public string Name { get; }

    public Task SendAsync(string body, CancellationToken cancellationToken = default) =>
        _sender.SendMessageAsync(new ServiceBusMessage(body)
        {
            // The id is the content's hash: with duplicate detection on the queue (infra/), a re-sent request (an
            // ingest retried after the send but before it completed) is dropped by the broker.
            MessageId = MessageIdOf(body),
            ContentType = "application/json",
        }, cancellationToken);

    public async Task<IReadOnlyList<JobMessage>> ReceiveAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var received = await _receiver.Value.ReceiveMessagesAsync(Math.Max(1, max), _receiveWait, cancellationToken).ConfigureAwait(false);
        return [.. received.Select(m => new JobMessage(m.MessageId, m.Body.ToString(), m.DeliveryCount, m.LockToken) { Native = m })];
    }

    public async Task<JobMessage> RenewAsync(JobMessage message, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await _receiver.Value.RenewMessageLockAsync(Native(message), cancellationToken).ConfigureAwait(false);
        return message;
    }

    public Task CompleteAsync(JobMessage message, CancellationToken cancellationToken = default) =>
        _receiver.Value.CompleteMessageAsync(Native(message), cancellationToken);

    public Task AbandonAsync(JobMessage message, CancellationToken cancellationToken = default) =>
        _receiver.Value.AbandonMessageAsync(Native(message), cancellationToken: cancellationToken);

    public Task DeadLetterAsync(JobMessage message, string reason, string? description = null, CancellationToken cancellationToken = default) =>
        _receiver.Value.DeadLetterMessageAsync(Native(message), reason, description ?? reason, cancellationToken);

    /// <summary>Messages in the queue, active or locked, counted by peeking (allowed to a receiver; the
    /// management API that reports counts needs Manage rights, which no host here has), up to <see cref="CountLimit"/>.</summary>
    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        var peeked = await _receiver.Value.PeekMessagesAsync(CountLimit, fromSequenceNumber: 0, cancellationToken).ConfigureAwait(false);
        return peeked.Count;
    }

    public async ValueTask DisposeAsync()
    {
        await _sender.DisposeAsync().ConfigureAwait(false);
        if (_receiver.IsValueCreated)
        {
            await _receiver.Value.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsClient)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>32 hex digits of SHA-256 over the body: the same request always gets the same id.</summary>
    public static string MessageIdOf(string body) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)).AsSpan(0, 16));

    private static ServiceBusReceivedMessage Native(JobMessage message) =>
        message.Native as ServiceBusReceivedMessage ?? throw new ArgumentException("the message was not received from a Service Bus queue", nameof(message));
}
