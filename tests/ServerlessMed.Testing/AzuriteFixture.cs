using ServerlessMed.Azurite;


namespace ServerlessMed.Testing;

/// <summary>A private Azurite per test class (free loopback ports, in memory), started from the repository's
/// node_modules and stopped afterwards. Missing Azurite fails loudly: run scripts/test.sh (it runs npm ci).</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteLauncher? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not running");

    public AzuriteLauncher Launcher => _azurite ?? throw new InvalidOperationException("Azurite is not running");

    public async ValueTask InitializeAsync() => _azurite = await AzuriteLauncher.StartAsync(Corpus.RepoRoot);

    /// <summary>Stops and starts Azurite again on the same ports (data is lost: in-memory).</summary>
    public async Task RestartAsync()
    {
        await DisposeAsync();
        _azurite = await AzuriteLauncher.StartAsync(Corpus.RepoRoot);
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
            _azurite = null;
        }
    }
}

/// <summary>Tenant storage options whose containers and queues all carry a prefix, so tests sharing one Azurite do
/// not see each other's data.</summary>
public static class PrefixedStorage
{
    /// <param name="requests">Counts the requests of the clients built from these options (RequestCountTests).</param>
    public static ServerlessMed.Pipeline.Storage.TenantStorageOptions Options(string connectionString, string prefix, int maxDeliveryCount = 5, ServerlessMed.Pipeline.Storage.RequestCounter? requests = null) => new()
    {
        ConnectionString = connectionString,
        Uploads = prefix + "uploads",
        Deid = prefix + "deid",
        Embeddings = prefix + "embeddings",
        Audit = prefix + "audit",
        Quarantine = prefix + "quarantine",
        Generated = prefix + "generated",
        Models = prefix + "models",
        IngestQueue = prefix + "ingest",
        GenerationQueue = prefix + "generation",
        MaxDeliveryCount = maxDeliveryCount,
        BlobPolicies = requests is null ? [] : [requests.BlobPolicy],
        QueuePolicies = requests is null ? [] : [requests.QueuePolicy],
    };
}
