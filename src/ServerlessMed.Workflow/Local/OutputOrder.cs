using System.Collections.Concurrent;

namespace ServerlessMed.Workflow.Local;

/// <summary>Decides which of several inputs that de-identify to one output name keeps it: the one later in input
/// order, whatever order the workers finish them in, so a run's outputs do not depend on timing (instances that share
/// a SOP Instance UID with different content exist: the corpus has several). A later input replaces an earlier one's
/// output as a re-run replaces a previous run's.</summary>
/// <remarks>
/// An earlier input can only finish after a later one with the same name while both are in flight, so a name is
/// remembered only while some input before it may still be in flight: each worker publishes a lower bound of the input
/// it is on, and names written by inputs below every bound are forgotten. Memory grows with the inputs finished since
/// the oldest one still in flight began, not with the run.
/// </remarks>
public sealed class OutputOrder
{
    private const int PruneEvery = 1024;

    private readonly ConcurrentDictionary<string, long> _writtenBy = new(StringComparer.Ordinal);
    private readonly Lock[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];
    private readonly Lock _pruneGate = new();
    private readonly long[] _inFlight;
    private int _commits;

    public OutputOrder(int workers) => _inFlight = new long[workers];

    /// <summary>Worker <paramref name="worker"/> may from now on hold inputs at <paramref name="position"/> or
    /// after (call it before taking the next input, with a bound no greater than what it will take).</summary>
    public void Enter(int worker, long position) => Volatile.Write(ref _inFlight[worker], position);

    /// <summary>Worker <paramref name="worker"/> holds no input any more.</summary>
    public void Leave(int worker) => Volatile.Write(ref _inFlight[worker], long.MaxValue);

    /// <summary>Runs <paramref name="publish"/> (which gives <paramref name="path"/> its new content) unless an input
    /// after <paramref name="position"/> has already written that name; false when it has.</summary>
    public bool Commit(string path, long position, Action publish)
    {
        lock (_stripes[(uint)StringComparer.Ordinal.GetHashCode(path) % (uint)_stripes.Length])
        {
            if (_writtenBy.TryGetValue(path, out var by) && by > position)
            {
                return false;
            }

            publish();
            _writtenBy[path] = position;
        }

        if (Interlocked.Increment(ref _commits) % PruneEvery == 0)
        {
            Prune();
        }

        return true;
    }

    /// <summary>How many names are remembered now.</summary>
    public int Remembered => _writtenBy.Count;

    private void Prune()
    {
        if (!_pruneGate.TryEnter())
        {
            return;
        }

        try
        {
            var lowest = long.MaxValue;
            foreach (ref var p in _inFlight.AsSpan())
            {
                lowest = Math.Min(lowest, Volatile.Read(ref p));
            }

            foreach (var entry in _writtenBy)
            {
                if (entry.Value < lowest)
                {
                    _writtenBy.TryRemove(entry); // only if no later input has written it meanwhile
                }
            }
        }
        finally
        {
            _pruneGate.Exit();
        }
    }
}
