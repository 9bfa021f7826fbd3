using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>One contract for every <see cref="IJobQueue"/> transport: at-least-once delivery under a lease, renew,
/// complete, abandon, dead-letter, delivery counts, run against a real service: Storage Queues on Azurite. (No Service
/// Bus broker runs here; its adapter is tested with the SDK's own test doubles in ServerlessMed.Hosts.Tests.)</summary>
public abstract class JobQueueContract
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The lease every test asks for.</summary>
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    protected abstract (IJobQueue Queue, IJobQueue Poison) Create(string name);

    private (IJobQueue Queue, IJobQueue Poison) New() => Create("q" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task A_sent_message_is_received_once_under_a_lease_and_gone_when_completed()
    {
        var (q, _) = New();
        await q.SendAsync("{\"n\":1}", Ct);
        Assert.Equal(1, await q.CountAsync(Ct));
        var got = Assert.Single(await q.ReceiveAsync(1, Lease, Ct));
        Assert.Equal("{\"n\":1}", got.Body);
        Assert.Equal(1, got.DequeueCount);
        Assert.Empty(await q.ReceiveAsync(1, Lease, Ct));
        await q.CompleteAsync(got, Ct);
        Assert.Equal(0, await q.CountAsync(Ct));
        await Task.Delay(Lease + TimeSpan.FromMilliseconds(500), Ct);
        Assert.Empty(await q.ReceiveAsync(1, Lease, Ct));
    }

    [Fact]
    public async Task An_abandoned_message_comes_back_at_once_with_its_delivery_count_raised()
    {
        var (q, _) = New();
        await q.SendAsync("job", Ct);
        var first = Assert.Single(await q.ReceiveAsync(1, TimeSpan.FromMinutes(1), Ct));
        await q.AbandonAsync(first, Ct);
        var second = Assert.Single(await q.ReceiveAsync(1, Lease, Ct));
        Assert.Equal("job", second.Body);
        Assert.Equal(2, second.DequeueCount);
        await q.CompleteAsync(second, Ct);
    }

    [Fact]
    public async Task A_lease_that_ends_gives_the_message_to_the_next_receiver_and_a_renewed_one_does_not()
    {
        var (q, _) = New();
        await q.SendAsync("expires", Ct);
        var crashed = Assert.Single(await q.ReceiveAsync(1, Lease, Ct));
        await Task.Delay(Lease + TimeSpan.FromSeconds(1), Ct);
        var next = Assert.Single(await q.ReceiveAsync(1, Lease, Ct));
        Assert.Equal(2, next.DequeueCount);
        await Assert.ThrowsAnyAsync<Exception>(() => q.CompleteAsync(crashed, Ct));

        // Renewed twice within its lease, the message stays hidden well past one lease.
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(Lease / 2, Ct);
            next = await q.RenewAsync(next, Lease, Ct);
        }

        Assert.Empty(await q.ReceiveAsync(1, Lease, Ct));
        await q.CompleteAsync(next, Ct);
        Assert.Equal(0, await q.CountAsync(Ct));
    }

    [Fact]
    public async Task A_dead_lettered_message_leaves_the_queue_for_the_poison_queue()
    {
        var (q, poison) = New();
        await q.SendAsync("poison", Ct);
        await q.SendAsync("fine", Ct);
        var messages = new List<JobMessage>();
        for (var i = 0; i < 5 && messages.Count < 2; i++)
        {
            messages.AddRange(await q.ReceiveAsync(2, Lease, Ct));
        }

        await q.DeadLetterAsync(messages.Single(m => m.Body == "poison"), "bad-json", "the body is not JSON", Ct);
        await q.CompleteAsync(messages.Single(m => m.Body == "fine"), Ct);
        Assert.Equal(0, await q.CountAsync(Ct));
        var dead = Assert.Single(await poison.ReceiveAsync(1, Lease, Ct));
        Assert.Equal("poison", dead.Body);
    }
}

public sealed class StorageQueueContractTests(AzuriteFixture azurite) : JobQueueContract, IClassFixture<AzuriteFixture>
{
    protected override (IJobQueue Queue, IJobQueue Poison) Create(string name)
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString });
        var q = storage.Queue(name);
        var p = storage.Queue(name + "-poison");
        q.CreateIfNotExists();
        p.CreateIfNotExists();
        return (new StorageJobQueue(q, p), new StorageJobQueue(p, storage.Queue(name + "-poison2")));
    }
}
