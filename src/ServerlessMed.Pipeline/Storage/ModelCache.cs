using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>Model folders from the tenant's <c>models</c> container, cached on local disk by content: the cache key is
/// a hash over the blobs' names, sizes and Content-MD5s, so a re-uploaded model with the same bytes is a hit and a
/// changed one a miss. A download goes to a temporary folder, is checked against each blob's MD5, and is renamed
/// into place only when complete, so a crash never leaves a half model that looks cached.</summary>
public sealed class ModelCache(TenantStorage storage, string cacheRoot, ILogger logger)
{
    private const string CompleteMarker = ".complete";

    /// <summary>The local folder holding model <paramref name="modelId"/> (blobs under "{modelId}/"), downloading it
    /// when the cache does not have this content.</summary>
    public async Task<string> GetAsync(string modelId, CancellationToken cancellationToken = default)
    {
        if (modelId.Length == 0 || modelId.Contains("..", StringComparison.Ordinal) || modelId.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new ArgumentException($"model id '{modelId}' must be one folder name", nameof(modelId));
        }

        var container = storage.Container(storage.Options.Models);
        var blobs = new List<BlobItem>();
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, modelId + "/", cancellationToken).ConfigureAwait(false))
        {
            blobs.Add(blob);
        }

        if (blobs.Count == 0)
        {
            throw new FileNotFoundException($"model '{modelId}' is not in the {storage.Options.Models} container");
        }

        var key = ContentKey(blobs, modelId.Length + 1);
        var folder = Path.Combine(cacheRoot, key, modelId);
        if (File.Exists(Path.Combine(cacheRoot, key, CompleteMarker)))
        {
            logger.LogInformation("model {ModelId} found in the local cache ({Key})", modelId, key[..12]);
            return folder;
        }

        var temp = Path.Combine(cacheRoot, $".{key}.{Guid.NewGuid():N}");
        try
        {
            foreach (var blob in blobs)
            {
                var target = Path.Combine(temp, modelId, blob.Name[(modelId.Length + 1)..]);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await container.GetBlobClient(blob.Name).DownloadToAsync(target, cancellationToken).ConfigureAwait(false);
                if (blob.Properties.ContentHash is { Length: > 0 } md5)
                {
                    byte[] actual;
                    await using (var stream = File.OpenRead(target))
                    {
                        actual = await MD5.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
                    }

                    if (!md5.AsSpan().SequenceEqual(actual))
                    {
                        throw new InvalidDataException($"model '{modelId}': {blob.Name} does not match its Content-MD5 after download");
                    }
                }
            }

            await File.WriteAllTextAsync(Path.Combine(temp, CompleteMarker), key, cancellationToken).ConfigureAwait(false);
            try
            {
                Directory.Move(temp, Path.Combine(cacheRoot, key));
            }
            catch (IOException) when (File.Exists(Path.Combine(cacheRoot, key, CompleteMarker)))
            {
                // Another process finished the same download first; use its copy.
                Directory.Delete(temp, recursive: true);
            }

            logger.LogInformation("model {ModelId} downloaded into the local cache ({Count} files, key {Key})", modelId, blobs.Count, key[..12]);
            return folder;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static string ContentKey(IEnumerable<BlobItem> blobs, int prefixLength)
    {
        var manifest = new StringBuilder();
        foreach (var b in blobs.OrderBy(b => b.Name, StringComparer.Ordinal))
        {
            var hash = b.Properties.ContentHash is { Length: > 0 } md5 ? Convert.ToHexString(md5) : b.Properties.ETag?.ToString() ?? string.Empty;
            manifest.Append(b.Name.AsSpan(prefixLength)).Append('\t').Append(b.Properties.ContentLength ?? 0).Append('\t').Append(hash).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(manifest.ToString()))).ToLowerInvariant();
    }
}
