using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;

namespace ServerlessMed.Hosts.Tests;

/// <summary>The Service Bus SDK's own seams for tests: <see cref="ServiceBusClient"/>, <see cref="ServiceBusSender"/>
/// and <see cref="ServiceBusReceiver"/> have protected constructors and virtual members for mocking, and
/// <see cref="ServiceBusModelFactory"/> makes received messages with broker-set properties (lock token, delivery
/// count). These doubles record every call and answer receives from a script; they do not imitate a broker.</summary>
internal sealed class RecordingServiceBusClient : ServiceBusClient
{
    public RecordingSender Sender { get; } = new();

    public ScriptedReceiver Receiver { get; } = new();

    public List<string> SenderQueues { get; } = [];

    public List<(string Queue, ServiceBusReceiverOptions Options)> ReceiverQueues { get; } = [];

    public bool Disposed { get; private set; }

    public override ServiceBusSender CreateSender(string queueOrTopicName)
    {
        SenderQueues.Add(queueOrTopicName);
        return Sender;
    }

    public override ServiceBusReceiver CreateReceiver(string queueName, ServiceBusReceiverOptions options)
    {
        ReceiverQueues.Add((queueName, options));
        return Receiver;
    }

    public override ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

internal sealed class RecordingSender : ServiceBusSender
{
    public ConcurrentQueue<ServiceBusMessage> Sent { get; } = new();

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        Sent.Enqueue(message);
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class ScriptedReceiver : ServiceBusReceiver
{
    private readonly ConcurrentQueue<ServiceBusReceivedMessage> _toReceive = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentQueue<(ServiceBusReceivedMessage Message, string Reason, string? Description)> DeadLettered { get; } = new();

    public ConcurrentQueue<ServiceBusReceivedMessage> Completed { get; } = new();

    public ConcurrentQueue<ServiceBusReceivedMessage> Abandoned { get; } = new();

    public ConcurrentQueue<ServiceBusReceivedMessage> Renewed { get; } = new();

    /// <summary>Thrown by the next complete (e.g. a lost lock).</summary>
    public Exception? FailNextComplete { get; set; }

    public List<(int Max, long? From)> Peeks { get; } = [];

    public IReadOnlyList<ServiceBusReceivedMessage> PeekResult { get; set; } = [];

    public void Enqueue(ServiceBusReceivedMessage message) => _toReceive.Enqueue(message);

    public override Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan? maxWaitTime = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue($"receive {maxMessages}");
        var result = new List<ServiceBusReceivedMessage>();
        while (result.Count < maxMessages && _toReceive.TryDequeue(out var m))
        {
            result.Add(m);
        }

        return Task.FromResult<IReadOnlyList<ServiceBusReceivedMessage>>(result);
    }

    public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("complete");
        if (FailNextComplete is { } e)
        {
            FailNextComplete = null;
            return Task.FromException(e);
        }

        Completed.Enqueue(message);
        return Task.CompletedTask;
    }

    public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("abandon");
        Abandoned.Enqueue(message);
        return Task.CompletedTask;
    }

    public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("dead-letter");
        DeadLettered.Enqueue((message, deadLetterReason, deadLetterErrorDescription));
        return Task.CompletedTask;
    }

    public override Task RenewMessageLockAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("renew");
        Renewed.Enqueue(message);
        return Task.CompletedTask;
    }

    public override Task<IReadOnlyList<ServiceBusReceivedMessage>> PeekMessagesAsync(int maxMessages, long? fromSequenceNumber = null, CancellationToken cancellationToken = default)
    {
        Peeks.Add((maxMessages, fromSequenceNumber));
        return Task.FromResult(PeekResult);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A message as the broker hands it over: id, body, delivery count and lock token set by the factory.</summary>
    public static ServiceBusReceivedMessage Message(string body, int deliveryCount = 1, string? id = null) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(
            body: BinaryData.FromString(body),
            messageId: id ?? Guid.NewGuid().ToString("N"),
            deliveryCount: deliveryCount,
            lockTokenGuid: Guid.NewGuid(),
            lockedUntil: DateTimeOffset.UtcNow.AddMinutes(5));
}
