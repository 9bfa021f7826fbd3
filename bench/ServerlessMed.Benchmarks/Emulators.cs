using ServerlessMed.Azurite;

namespace ServerlessMed.Benchmarks;

/// <summary>The Azurite a bench round runs on: one process, or with SMED_BENCH_SPLIT_AZURITE=1 two (blobs from one,
/// queues from the other, so the emulator's two busy services each get a node thread: Azurite is single-threaded
/// per process). A pipeline run and its replay get the same arrangement, so their ratio compares like with like.</summary>
internal sealed class Emulators : IAsyncDisposable
{
    private readonly AzuriteLauncher _blobs;
    private readonly AzuriteLauncher? _queues;

    private Emulators(AzuriteLauncher blobs, AzuriteLauncher? queues)
    {
        _blobs = blobs;
        _queues = queues;
        ConnectionString = queues is null ? blobs.ConnectionString
            : blobs.ConnectionString.Replace($"QueueEndpoint={blobs.QueueServiceUri}", $"QueueEndpoint={queues.QueueServiceUri}", StringComparison.Ordinal);
    }

    public static bool Split => Environment.GetEnvironmentVariable("SMED_BENCH_SPLIT_AZURITE") == "1";

    public string ConnectionString { get; }

    /// <summary>CPU time of every emulator process so far.</summary>
    public TimeSpan ProcessorTime => _blobs.ProcessorTime + (_queues?.ProcessorTime ?? TimeSpan.Zero);

    public static async Task<Emulators> StartAsync()
    {
        var blobs = await AzuriteLauncher.StartAsync(AppContext.BaseDirectory);
        return new Emulators(blobs, Split ? await AzuriteLauncher.StartAsync(AppContext.BaseDirectory) : null);
    }

    /// <summary>Stops the processes the way a service stops (so an idle one's sweeps take no CPU from what follows).</summary>
    public async Task StopAsync()
    {
        await _blobs.StopAsync();
        if (_queues is not null)
        {
            await _queues.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _blobs.DisposeAsync();
        if (_queues is not null)
        {
            await _queues.DisposeAsync();
        }
    }
}
