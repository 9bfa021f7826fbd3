using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using ServerlessMed.Deid;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>The tenant key in Azure: the Key Vault secret "deid-key" (hex), read with the host's managed identity.
/// scripts/deploy.sh says how to create it; the template never holds it.</summary>
public static class KeyVaultTenantKey
{
    public const string SecretName = "deid-key";

    public static Task<TenantKey> LoadAsync(Uri vaultUri, TokenCredential credential, CancellationToken cancellationToken = default) =>
        LoadAsync(new SecretClient(vaultUri, credential), SecretName, cancellationToken);

    public static async Task<TenantKey> LoadAsync(SecretClient client, string secretName = SecretName, CancellationToken cancellationToken = default)
    {
        var vaultUri = client.VaultUri;
        KeyVaultSecret secret;
        try
        {
            secret = (await client.GetSecretAsync(secretName, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            throw new InvalidOperationException($"Key Vault {vaultUri.Host} has no secret '{secretName}': create it as scripts/deploy.sh describes");
        }

        try
        {
            return new TenantKey(Convert.FromHexString(secret.Value.Trim()));
        }
        catch (FormatException)
        {
            // The value itself is never quoted.
            throw new InvalidDataException($"secret '{secretName}' in {vaultUri.Host} must be hexadecimal (64 hex digits)");
        }
    }
}
