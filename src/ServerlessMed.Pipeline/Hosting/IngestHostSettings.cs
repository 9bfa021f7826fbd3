using Microsoft.Extensions.Configuration;
using ServerlessMed.Deid;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Everything the ingest host (the Functions app, <c>smed run</c>) reads from configuration, read once at
/// start-up; <see cref="Problems"/> lists each missing or wrong setting by name.</summary>
public sealed class IngestHostSettings : IHostSettings
{
    public TenantStorageOptions Storage { get; private set; } = new();

    public GenerationQueueSettings GenerationQueue { get; private set; } = new();

    public TenantKeySettings Key { get; private set; } = new();

    public ModelSettings Encoder { get; private set; } = new();

    /// <summary>The tenant policy (SMED_POLICY, loaded and validated at start-up), else the basic profile and the
    /// default generation settings.</summary>
    public TenantPolicy Policy { get; private set; } = TenantPolicy.Default;

    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>Fills this instance from configuration (the options factory creates it, then calls this).</summary>
    public void Load(IConfiguration configuration)
    {
        var settings = new SettingsReader(configuration);
        if (settings.String(Settings.Policy) is { } policyFile)
        {
            try
            {
                Policy = TenantPolicy.Load(policyFile);
            }
            catch (Exception e) when (e is DeidPolicyException or IOException or UnauthorizedAccessException)
            {
                settings.Fail(Settings.Policy, $"is not a valid policy: {e.Message.Split('\n')[0]}");
            }
        }

        Storage = StorageSettings.Read(settings, needsQueueService: true);
        GenerationQueue = GenerationQueueSettings.Read(settings, Storage);
        Key = TenantKeySettings.Read(settings);
        Encoder = ModelSettings.Read(settings, Settings.EncoderModelId, folderKey: null, "image encoder");
        Problems = settings.Errors;
    }
}
