namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Where the tenant key comes from: the Key Vault secret (<c>KeyVault__vaultUri</c>, <c>__secretName</c>,
/// identity from <c>KeyVault__credential</c> / <c>__clientId</c>) in Azure, or an existing key file
/// (<c>SMED_KEY_FILE</c>) locally. A host never creates a key: a new key would give every patient new pseudonyms.</summary>
public sealed class TenantKeySettings
{
    public const string DefaultSecretName = "deid-key";

    public Uri? VaultUri { get; init; }

    public string SecretName { get; init; } = DefaultSecretName;

    public string? KeyFile { get; init; }

    public static TenantKeySettings Read(SettingsReader settings)
    {
        var vaultKey = Settings.Key(Settings.KeyVault, Settings.VaultUri);
        var result = new TenantKeySettings
        {
            VaultUri = settings.AbsoluteUri(vaultKey),
            SecretName = settings.String(Settings.Key(Settings.KeyVault, Settings.SecretName)) ?? DefaultSecretName,
            KeyFile = settings.String(Settings.KeyFile),
        };
        if (result.VaultUri is null && settings.String(vaultKey) is null)
        {
            if (result.KeyFile is null)
            {
                settings.Missing(vaultKey, $"the Key Vault holding the tenant key (or {Settings.KeyFile}, a key file, for local runs)");
            }
            else if (!File.Exists(result.KeyFile))
            {
                settings.Fail(Settings.KeyFile, "names a file that does not exist");
            }
        }

        return result;
    }
}
