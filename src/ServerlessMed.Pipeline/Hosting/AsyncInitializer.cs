namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Creates a value once, on first use, asynchronously; callers at the same time share one attempt. A failed
/// attempt (Key Vault or storage unreachable during a cold start) is not remembered: the next caller tries again, so
/// the host recovers instead of failing every later invocation.</summary>
public sealed class AsyncInitializer<T>(Func<CancellationToken, Task<T>> create)
    where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private T? _value;

    public bool IsCreated => _value is not null;

    /// <summary>The value if it was created, else null (no attempt is made).</summary>
    public T? ValueOrNull => _value;

    public async Task<T> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_value is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _value ??= await create(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
