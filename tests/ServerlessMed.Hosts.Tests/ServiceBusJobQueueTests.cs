using Azure.Messaging.ServiceBus;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Testing;

namespace ServerlessMed.Hosts.Tests;

/// <summary>The Service Bus adapter behind <see cref="IJobQueue"/>, and the queue processor over it, on the SDK's own
/// test doubles: which SDK call each operation makes, with which message and arguments.</summary>
public sealed class ServiceBusJobQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sends_carry_a_content_derived_message_id_so_the_broker_drops_a_resend()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation");
        await queue.SendAsync("{\"requestId\":\"a\"}", Ct);
        await queue.SendAsync("{\"requestId\":\"a\"}", Ct);
        await queue.SendAsync("{\"requestId\":\"b\"}", Ct);
        var sent = client.Sender.Sent.ToArray();
        Assert.Equal(["generation"], client.SenderQueues);
        Assert.Equal(sent[0].MessageId, sent[1].MessageId);
        Assert.NotEqual(sent[0].MessageId, sent[2].MessageId);
        Assert.Equal(32, sent[0].MessageId.Length);
        Assert.Equal("application/json", sent[0].ContentType);
        Assert.Equal("{\"requestId\":\"a\"}", sent[0].Body.ToString());
    }

    [Fact]
    public async Task Receives_peek_lock_and_settles_the_same_message_with_the_broker()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation", TimeSpan.FromMilliseconds(10));
        Assert.Empty(client.ReceiverQueues); // a sending host never opens a receiver
        var first = ScriptedReceiver.Message("one", deliveryCount: 3, id: "m1");
        var second = ScriptedReceiver.Message("two");
        var third = ScriptedReceiver.Message("three");
        client.Receiver.Enqueue(first);
        client.Receiver.Enqueue(second);
        client.Receiver.Enqueue(third);

        var got = await queue.ReceiveAsync(3, TimeSpan.FromMinutes(1), Ct);
        var (queueName, options) = Assert.Single(client.ReceiverQueues);
        Assert.Equal("generation", queueName);
        Assert.Equal(ServiceBusReceiveMode.PeekLock, options.ReceiveMode);
        Assert.Equal(["one", "two", "three"], got.Select(m => m.Body));
        Assert.Equal("m1", got[0].Id);
        Assert.Equal(3, got[0].DequeueCount);
        Assert.Equal(first.LockToken, got[0].LeaseToken);

        Assert.Same(got[0], await queue.RenewAsync(got[0], TimeSpan.FromMinutes(1), Ct));
        await queue.CompleteAsync(got[0], Ct);
        await queue.AbandonAsync(got[1], Ct);
        await queue.DeadLetterAsync(got[2], "bad-request", "model-unavailable: GenerationFailedException", Ct);
        Assert.Same(first, Assert.Single(client.Receiver.Renewed));
        Assert.Same(first, Assert.Single(client.Receiver.Completed));
        Assert.Same(second, Assert.Single(client.Receiver.Abandoned));
        var dead = Assert.Single(client.Receiver.DeadLettered);
        Assert.Same(third, dead.Message);
        Assert.Equal("bad-request", dead.Reason);
        Assert.Equal("model-unavailable: GenerationFailedException", dead.Description);
    }

    [Fact]
    public async Task Count_peeks_from_the_first_message_and_a_message_of_another_transport_is_refused()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation");
        client.Receiver.PeekResult = [ScriptedReceiver.Message("a"), ScriptedReceiver.Message("b")];
        Assert.Equal(2, await queue.CountAsync(Ct));
        Assert.Equal((ServiceBusJobQueue.CountLimit, 0L), Assert.Single(client.Receiver.Peeks));

        var foreign = new JobMessage("id", "body", 1, "pop-receipt");
        await Assert.ThrowsAsync<ArgumentException>(() => queue.CompleteAsync(foreign, Ct));
    }

    [Fact]
    public async Task The_queue_disposes_a_client_it_owns_and_leaves_a_shared_one()
    {
        var shared = new RecordingServiceBusClient();
        await new ServiceBusJobQueue(shared, "generation").DisposeAsync();
        Assert.False(shared.Disposed);
        var owned = new RecordingServiceBusClient();
        await new ServiceBusJobQueue(owned, "generation", ownsClient: true).DisposeAsync();
        Assert.True(owned.Disposed);
    }

    private static QueueProcessor Processor(ServiceBusJobQueue queue, Func<JobMessage, CancellationToken, Task> handler, CapturingLogger logger, List<string>? failures = null) =>
        new(queue, handler, FailureClassifier.Classify, logger)
        {
            MaxDeliveryCount = 3,
            Lease = TimeSpan.FromSeconds(30),
            RenewEvery = TimeSpan.FromMilliseconds(40),
            BatchSize = 1,
            OnDeadLetter = (m, reason, e, _) =>
            {
                failures?.Add($"{m.Id} {reason}");
                return Task.CompletedTask;
            },
        };

    [Fact]
    public async Task A_processed_request_is_completed_and_its_lock_renewed_while_it_runs()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation");
        var message = ScriptedReceiver.Message("long job");
        client.Receiver.Enqueue(message);
        var processor = Processor(queue, (_, ct) => Task.Delay(300, ct), new CapturingLogger());
        Assert.Equal(1, await processor.ProcessAvailableAsync(Ct));
        Assert.Same(message, Assert.Single(client.Receiver.Completed));
        Assert.True(client.Receiver.Renewed.Count >= 2, $"{client.Receiver.Renewed.Count} renewals");
        Assert.All(client.Receiver.Renewed, m => Assert.Same(message, m));
        Assert.Equal("complete", client.Receiver.Calls.Last());
    }

    [Fact]
    public async Task A_permanent_failure_goes_to_the_dead_letter_sub_queue_with_its_reason_and_a_failure_record()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation");
        client.Receiver.Enqueue(ScriptedReceiver.Message("{not json", id: "bad"));
        var failures = new List<string>();
        var logger = new CapturingLogger();
        var processor = Processor(queue, (m, _) => Task.FromResult(System.Text.Json.JsonDocument.Parse(m.Body)), logger, failures);
        await processor.ProcessAvailableAsync(Ct);
        var dead = Assert.Single(client.Receiver.DeadLettered);
        Assert.Equal("JsonReaderException", dead.Reason);
        Assert.Equal("JsonReaderException: JsonReaderException", dead.Description);
        Assert.Equal(["bad JsonReaderException"], failures);
        Assert.Empty(client.Receiver.Abandoned);
        Assert.DoesNotContain("not json", logger.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transient_failure_is_abandoned_and_on_its_last_delivery_dead_lettered_by_us_not_the_broker()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation");
        client.Receiver.Enqueue(ScriptedReceiver.Message("job", deliveryCount: 1, id: "early"));
        client.Receiver.Enqueue(ScriptedReceiver.Message("job", deliveryCount: 3, id: "last"));
        var failures = new List<string>();
        var processor = Processor(queue, (_, _) => throw new ServiceBusException("broker busy", ServiceBusFailureReason.ServiceBusy), new CapturingLogger(), failures);
        await processor.ProcessAvailableAsync(Ct);
        await processor.ProcessAvailableAsync(Ct);
        Assert.Equal("early", Assert.Single(client.Receiver.Abandoned).MessageId);
        var dead = Assert.Single(client.Receiver.DeadLettered);
        Assert.Equal("last", dead.Message.MessageId);
        Assert.Equal("max-delivery-count", dead.Reason);
        Assert.Equal(["last max-delivery-count"], failures);
    }

    [Fact]
    public async Task A_lock_lost_before_completion_is_logged_and_the_message_left_to_come_back()
    {
        var client = new RecordingServiceBusClient();
        var queue = new ServiceBusJobQueue(client, "generation");
        client.Receiver.Enqueue(ScriptedReceiver.Message("job"));
        client.Receiver.FailNextComplete = new ServiceBusException("lock lost", ServiceBusFailureReason.MessageLockLost);
        var logger = new CapturingLogger();
        var processor = Processor(queue, (_, _) => Task.CompletedTask, logger);
        Assert.Equal(1, await processor.ProcessAvailableAsync(Ct));
        Assert.Contains("lock lost before it was settled", logger.AllText, StringComparison.Ordinal);
        Assert.Empty(client.Receiver.DeadLettered);
    }
}
