using Azure.Security.KeyVault.Secrets;
using ServerlessMed.Deid;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>The tenant key of a host: the Key Vault secret, read once with the host's identity, or the key file.</summary>
public sealed class TenantKeySource(TenantKeySettings settings, Func<Uri, SecretClient> secretClient)
{
    public async Task<TenantKey> LoadAsync(CancellationToken cancellationToken = default) => settings.VaultUri is { } vault
        ? await KeyVaultTenantKey.LoadAsync(secretClient(vault), settings.SecretName, cancellationToken).ConfigureAwait(false)
        : TenantKey.FromFile(settings.KeyFile!);
}
