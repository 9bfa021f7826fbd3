using System.Security.Cryptography;
using System.Text;

namespace ServerlessMed.Inference.Diffusion;

/// <summary>Content hash of a model folder: SHA-256 over each file's relative path and SHA-256, in ordinal path order.
/// Two copies of the same export hash alike wherever they live; any changed byte changes it.</summary>
public static class ModelHash
{
    public static string Of(string folder)
    {
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => (Path: f, Relative: Path.GetRelativePath(folder, f).Replace('\\', '/')))
            .Where(f => !f.Relative.StartsWith('.'))
            .OrderBy(f => f.Relative, StringComparer.Ordinal);
        foreach (var (path, relative) in files)
        {
            using var stream = File.OpenRead(path);
            all.AppendData(Encoding.UTF8.GetBytes(relative + "\n"));
            all.AppendData(SHA256.HashData(stream));
        }

        return Convert.ToHexString(all.GetHashAndReset()).ToLowerInvariant();
    }
}
