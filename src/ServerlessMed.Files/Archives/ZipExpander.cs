using System.IO.Compression;

namespace ServerlessMed.Files.Archives;

/// <summary>Expands a zip's file entries one by one into a scratch folder, checking the limits on the declared sizes
/// before anything is written and on the bytes actually inflated while writing.</summary>
public static class ZipExpander
{
    public static bool IsZip(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return fs.Read(magic) == 4 && IsZipMagic(magic);
    }

    /// <summary>A zip's local file header signature ("PK\3\4") at the start of a file.</summary>
    public static bool IsZipMagic(ReadOnlySpan<byte> first4) => first4.SequenceEqual("PK\u0003\u0004"u8);

    /// <summary>Checks the whole zip against <paramref name="limits"/> (declared sizes) without expanding anything.</summary>
    public static int Validate(string zipPath, ZipLimits limits)
    {
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            var files = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
            if (files.Count > limits.MaxEntries)
            {
                throw new ZipRejectedException("zip-too-many-entries", $"the zip has {files.Count} entries (limit {limits.MaxEntries})");
            }

            long total = 0;
            for (var i = 0; i < files.Count; i++)
            {
                var e = files[i];
                if (e.Length > limits.MaxEntryBytes)
                {
                    throw new ZipRejectedException("zip-entry-too-large", $"zip entry {i + 1} declares {e.Length} bytes (limit {limits.MaxEntryBytes})");
                }

                if (e.CompressedLength > 0 && (double)e.Length / e.CompressedLength > limits.MaxCompressionRatio)
                {
                    throw new ZipRejectedException("zip-bomb", $"zip entry {i + 1} expands {e.Length / Math.Max(1, e.CompressedLength)}× (limit {limits.MaxCompressionRatio}×)");
                }

                total += e.Length;
            }

            return total > limits.MaxTotalBytes
                ? throw new ZipRejectedException("zip-too-large", $"the zip expands to {total} bytes (limit {limits.MaxTotalBytes})")
                : files.Count;
        }
        catch (InvalidDataException e)
        {
            throw new ZipRejectedException("zip-unreadable", $"not a readable zip: {e.Message}");
        }
    }

    /// <summary>Writes entry <paramref name="index"/> (0-based among file entries) to <paramref name="target"/>,
    /// stopping if it inflates past its declared size or the per-entry limit.</summary>
    public static void ExtractEntry(string zipPath, int index, string target, ZipLimits limits)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var entry = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ElementAt(index);
        var cap = Math.Min(entry.Length, limits.MaxEntryBytes);
        using var input = entry.Open();
        using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new byte[1 << 16];
        long written = 0;
        int n;
        while ((n = input.Read(buffer)) > 0)
        {
            written += n;
            if (written > cap)
            {
                throw new ZipRejectedException("zip-bomb", $"zip entry {index + 1} inflates past its declared {entry.Length} bytes");
            }

            output.Write(buffer, 0, n);
        }
    }
}
