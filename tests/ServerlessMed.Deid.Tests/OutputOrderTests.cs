using ServerlessMed.Workflow.Local;

namespace ServerlessMed.Deid.Tests;

/// <summary>The arbiter that makes a parallel run's outputs those of a one-worker run: the later input keeps a name.</summary>
public sealed class OutputOrderTests
{
    [Fact]
    public void A_later_input_replaces_an_earlier_one_and_never_the_other_way()
    {
        var order = new OutputOrder(workers: 2);
        var published = new List<long>();
        Assert.True(order.Commit("a.dcm", 5, () => published.Add(5)));
        Assert.False(order.Commit("a.dcm", 3, () => published.Add(3)));
        Assert.True(order.Commit("a.dcm", 7, () => published.Add(7)));
        Assert.True(order.Commit("b.dcm", 1, () => published.Add(1)));
        Assert.Equal([5, 7, 1], published);
    }

    [Fact]
    public void Names_are_forgotten_once_no_earlier_input_is_in_flight_and_kept_while_one_is()
    {
        var order = new OutputOrder(workers: 2);
        order.Enter(1, 10); // worker 1 holds input 10 throughout
        order.Enter(0, 11);
        Assert.True(order.Commit("shared.dcm", 20, () => { }));
        for (var i = 21; i < 10_000; i++)
        {
            order.Enter(0, i);
            Assert.True(order.Commit($"{i}.dcm", i, () => { }));
        }

        // Input 10 is still in flight: the name input 20 wrote must still win over it.
        Assert.False(order.Commit("shared.dcm", 10, () => throw new InvalidOperationException("input 10 must not replace input 20's output")));

        order.Leave(1);
        for (var i = 10_000; i < 12_100; i++)
        {
            order.Enter(0, i);
            order.Commit($"{i}.dcm", i, () => { });
        }

        Assert.True(order.Remembered <= 2 * 1024, $"{order.Remembered} names remembered with one input in flight");
    }
}
