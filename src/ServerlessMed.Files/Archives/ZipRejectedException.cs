namespace ServerlessMed.Files.Archives;

/// <summary>A zip that breaks a limit or is not a readable zip.</summary>
public sealed class ZipRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
