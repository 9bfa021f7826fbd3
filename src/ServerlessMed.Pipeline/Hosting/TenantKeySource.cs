using Azure.Security.KeyVault.Secrets;
using ServerlessMed.Deid;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The tenant key of a host: the Key Vault secret, read with the host's identity, or the key file.</summary>
/// <param name="secrets">The vault's client when the settings name a vault (created up front: it connects on first use).</param>
public sealed class TenantKeySource(TenantKeySettings settings, SecretClient? secrets)
{
    public async Task<TenantKey> LoadAsync(CancellationToken cancellationToken = default) => secrets is not null
        ? await KeyVaultTenantKey.LoadAsync(secrets, settings.SecretName, cancellationToken).ConfigureAwait(false)
        : TenantKey.FromFile(settings.KeyFile!);
}
