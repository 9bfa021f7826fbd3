using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The tenant storage connection: <c>TenantStorage</c> as a connection string (Azurite and local runs only),
/// or <c>TenantStorage__blobServiceUri</c> / <c>__queueServiceUri</c> with <c>__credential</c> and <c>__clientId</c>
/// (the managed identity): the same settings the Functions queue trigger reads for its connection.</summary>
public static class StorageSettings
{
    /// <param name="needsQueueService">The host uses storage queues (the ingest trigger), not only blobs.</param>
    public static TenantStorageOptions Read(SettingsReader settings, bool needsQueueService)
    {
        var blobKey = Settings.Key(Settings.TenantStorage, Settings.BlobServiceUri);
        var queueKey = Settings.Key(Settings.TenantStorage, Settings.QueueServiceUri);
        var options = new TenantStorageOptions
        {
            ConnectionString = settings.String(Settings.TenantStorage),
            BlobServiceUri = settings.AbsoluteUri(blobKey),
            QueueServiceUri = settings.AbsoluteUri(queueKey),
        };
        if (options.ConnectionString is { } cs && !IsConnectionString(cs))
        {
            // Never quoted: a connection string holds the account key.
            settings.Fail(Settings.TenantStorage, "is not a storage connection string (AccountName, AccountKey and endpoints, as Azurite prints them)");
        }

        if (options.ConnectionString is null)
        {
            if (options.BlobServiceUri is null && settings.String(blobKey) is null)
            {
                settings.Missing(blobKey, $"the tenant data account's blob endpoint (or {Settings.TenantStorage} as a connection string, for Azurite)");
            }

            if (needsQueueService && options.QueueServiceUri is null && settings.String(queueKey) is null)
            {
                settings.Missing(queueKey, "the tenant data account's queue endpoint (the ingest trigger's connection)");
            }
        }

        return options;
    }

    private static bool IsConnectionString(string value)
    {
        try
        {
            _ = new Azure.Storage.Blobs.BlobServiceClient(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return false;
        }
    }
}
