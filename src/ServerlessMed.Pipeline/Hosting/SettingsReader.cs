using Microsoft.Extensions.Configuration;

namespace ServerlessMed.Pipeline.Hosting;

/// <summary>Reads settings by their exact names and collects what is wrong with them, each problem naming the
/// app setting (<c>TenantStorage__blobServiceUri</c>), so a host that will not start says which setting to fix.</summary>
public sealed class SettingsReader(IConfiguration configuration)
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public IConfiguration Configuration => configuration;

    public string? String(string key) => configuration[key] is { Length: > 0 } v ? v.Trim() : null;

    /// <summary>An absolute https (or, for Azurite, http) URI, or null when the setting is absent.</summary>
    public Uri? AbsoluteUri(string key)
    {
        if (String(key) is not { } text)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri;
        }

        Fail(key, "is not an absolute https URI");
        return null;
    }

    public int? Int(string key, int min, int max)
    {
        if (String(key) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }

        Fail(key, $"must be a whole number from {min} to {max}");
        return null;
    }

    public TEnum? Enum<TEnum>(string key)
        where TEnum : struct, System.Enum
    {
        if (String(key) is not { } text)
        {
            return null;
        }

        if (System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value))
        {
            return value;
        }

        Fail(key, $"must be one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
        return null;
    }

    /// <summary>A required setting that is absent.</summary>
    public void Missing(string key, string why) => _errors.Add($"{Settings.AppSetting(key)} is not set: {why}");

    public void Fail(string key, string problem) => _errors.Add($"{Settings.AppSetting(key)} {problem}");
}
