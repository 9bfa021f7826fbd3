namespace ServerlessMed.Pipeline.Hosting;

/// <summary>A model a host runs: a folder of the tenant's <c>models</c> container (downloaded once per content into
/// the cache), or, where the host allows it, a folder on local disk.</summary>
public sealed class ModelSettings
{
    public string? ModelId { get; init; }

    public string? LocalFolder { get; init; }

    public string CacheFolder { get; init; } = DefaultCache;

    public static string DefaultCache => Path.Combine(Path.GetTempPath(), "smed-models");

    /// <param name="idKey">The setting naming the model in storage.</param>
    /// <param name="folderKey">The setting naming a local folder instead, or null where the host has none.</param>
    /// <param name="what">What the model is for, in the error.</param>
    public static ModelSettings Read(SettingsReader settings, string idKey, string? folderKey, string what)
    {
        var id = settings.String(idKey);
        var folder = folderKey is null ? null : settings.String(folderKey);
        if (id is not null && (id.Contains("..", StringComparison.Ordinal) || id.IndexOfAny(['/', '\\']) >= 0))
        {
            settings.Fail(idKey, "must be one folder name of the tenant's models container");
        }

        if (id is null && folder is null)
        {
            settings.Missing(idKey, folderKey is null
                ? $"the {what}: a folder of the tenant's models container"
                : $"the {what}: a folder of the tenant's models container (or {folderKey}, a folder on local disk)");
        }
        else if (id is null && folder is not null && !Directory.Exists(folder))
        {
            settings.Fail(folderKey!, "names a folder that does not exist");
        }

        return new ModelSettings { ModelId = id, LocalFolder = id is null ? folder : null, CacheFolder = settings.String(Settings.ModelCache) ?? DefaultCache };
    }
}
