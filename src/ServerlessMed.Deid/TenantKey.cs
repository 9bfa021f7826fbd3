using System.Security.Cryptography;

namespace ServerlessMed.Deid;

/// <summary>The tenant's secret for keyed hashing. Locally a key file (32 random bytes, hex); in Azure a Key Vault
/// secret. The key bytes are never formatted into strings, logs or errors.</summary>
public sealed class TenantKey
{
    private readonly byte[] _key;

    public TenantKey(byte[] key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException("a tenant key must have at least 16 bytes", nameof(key));
        }

        _key = [.. key];
    }

    /// <summary>The default location when neither --key-file nor SMED_KEY_FILE is given.</summary>
    public static string DefaultPath => Path.Combine(".smed", "tenant.key");

    /// <summary>Loads the key file, or creates it (mode 0600) when <paramref name="createIfMissing"/>; the notice
    /// callback is told where a new key was written.</summary>
    public static TenantKey LoadOrCreate(string? path, bool createIfMissing, Action<string>? notice = null)
    {
        path ??= Environment.GetEnvironmentVariable("SMED_KEY_FILE") is { Length: > 0 } env ? env : DefaultPath;
        if (File.Exists(path))
        {
            return FromFile(path);
        }

        if (!createIfMissing)
        {
            throw new FileNotFoundException($"tenant key file '{path}' does not exist (a key file that is named must exist: a new key would give every patient new pseudonyms; only the default {DefaultPath} is created when missing)");
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var w = new StreamWriter(path, options))
        {
            w.WriteLine(Convert.ToHexString(key));
        }

        notice?.Invoke($"created a new tenant key at {path} (mode 0600); keep it: other keys give other pseudonyms");
        return new TenantKey(key);
    }

    public static TenantKey FromFile(string path)
    {
        var text = File.ReadAllText(path).Trim();
        try
        {
            return new TenantKey(Convert.FromHexString(text));
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"tenant key file '{path}' must hold the key as hexadecimal (64 hex digits)");
        }
    }

    /// <summary>HMAC-SHA256 of a UTF-8 string under this key.</summary>
    public byte[] Hmac(string purpose, string value)
    {
        // The purpose separates domains (UIDs, patient ids, date offsets) so one value maps independently in each.
        var data = System.Text.Encoding.UTF8.GetBytes(purpose + "\u001f" + value);
        return HMACSHA256.HashData(_key, data);
    }

    /// <summary>HMAC-SHA256 of the UID text alone, as the design says: 2.25 + first 128 bits.</summary>
    public byte[] HmacRaw(string value) => HMACSHA256.HashData(_key, System.Text.Encoding.UTF8.GetBytes(value));

    public override string ToString() => "TenantKey(***)";
}
