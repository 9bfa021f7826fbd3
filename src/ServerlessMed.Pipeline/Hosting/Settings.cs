namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The name of every setting a host reads: one list, used by the options binders below and by the test
/// that checks them against what <c>infra/</c> sets. Connections follow the Functions convention for identity-based
/// connections (<c>{Connection}__blobServiceUri</c>, <c>__credential</c>, <c>__clientId</c>), so the trigger and our own
/// clients read the same settings; everything else of ours is <c>SMED_*</c>. In app settings and environment variables
/// the section separator is <c>__</c>; <see cref="AppSetting"/> turns a configuration key into that form.</summary>
public static class Settings
{
    /// <summary>The tenant's data account: a connection string (Azurite, local runs) or the section below.</summary>
    public const string TenantStorage = "TenantStorage";

    public const string BlobServiceUri = "blobServiceUri";

    public const string QueueServiceUri = "queueServiceUri";

    /// <summary>"managedidentity" in Azure (read by Microsoft.Extensions.Azure, as the Functions extensions do).</summary>
    public const string Credential = "credential";

    /// <summary>Client id of the user-assigned managed identity.</summary>
    public const string ClientId = "clientId";

    /// <summary>The Service Bus namespace of the generation queue (absent: the storage account's queue).</summary>
    public const string ServiceBus = "ServiceBus";

    public const string FullyQualifiedNamespace = "fullyQualifiedNamespace";

    public const string QueueName = "queueName";

    /// <summary>The Key Vault holding the tenant key (absent: <see cref="KeyFile"/>).</summary>
    public const string KeyVault = "KeyVault";

    public const string VaultUri = "vaultUri";

    public const string SecretName = "secretName";

    /// <summary>Local runs: the tenant key file (must exist; hosts never create one).</summary>
    public const string KeyFile = "SMED_KEY_FILE";

    /// <summary>A tenant policy JSON file (optional; default: the basic profile).</summary>
    public const string Policy = "SMED_POLICY";

    /// <summary>The encoder: a model folder in the tenant's <c>models</c> container.</summary>
    public const string EncoderModelId = "SMED_ENCODER_MODEL_ID";

    /// <summary>The diffusion model: a model folder in the tenant's <c>models</c> container...</summary>
    public const string DiffusionModelId = "SMED_DIFFUSION_MODEL_ID";

    /// <summary>...or a folder on local disk (baked into the worker image).</summary>
    public const string DiffusionModelFolder = "SMED_DIFFUSION_MODEL_FOLDER";

    /// <summary>Where model folders downloaded from storage are cached by content (default: the temp folder).</summary>
    public const string ModelCache = "SMED_MODEL_CACHE";

    /// <summary>Auto (CUDA, else CPU with one log line), Cuda (refuse to start without it) or Cpu.</summary>
    public const string ExecutionProvider = "SMED_EXECUTION_PROVIDER";

    public const string CudaDevice = "SMED_CUDA_DEVICE";

    /// <summary>The generation queue's maxDeliveryCount, so the worker dead-letters (with a failure document) on the
    /// last delivery instead of leaving it to the broker.</summary>
    public const string MaxDeliveryCount = "SMED_MAX_DELIVERY_COUNT";

    /// <summary>The generation queue's lock duration in seconds (5 to 300, Service Bus' range).</summary>
    public const string LeaseSeconds = "SMED_LEASE_SECONDS";

    public const string CudnnConvAlgoSearch = "SMED_CUDNN_CONV_ALGO_SEARCH";

    /// <summary>Application Insights (Azure Monitor exporter); with local auth off it needs the next one too.</summary>
    public const string ApplicationInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>"Authorization=AAD;ClientId={guid}": telemetry authenticated with that managed identity.</summary>
    public const string ApplicationInsightsAuthenticationString = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>A configuration key ("TenantStorage:blobServiceUri") as an app setting ("TenantStorage__blobServiceUri").</summary>
    public static string AppSetting(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    /// <summary>"{section}:{key}".</summary>
    public static string Key(string section, string key) => section + ":" + key;
}
