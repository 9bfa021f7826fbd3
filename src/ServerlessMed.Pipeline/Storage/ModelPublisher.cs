using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>Puts a model folder into the tenant's <c>models</c> container as <c>{modelId}/...</c>, each blob with its
/// Content-MD5, which <see cref="ModelCache"/> checks after download and keys its cache on. Publishing the same bytes
/// again changes no key, so hosts keep their cached copy.</summary>
public static class ModelPublisher
{
    public static async Task PublishAsync(TenantStorage storage, string modelId, string folder, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"model folder '{folder}' does not exist");
        }

        var container = storage.Container(storage.Options.Models);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = modelId + "/" + Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            byte[] md5;
            await using (var read = File.OpenRead(file))
            {
                md5 = await MD5.HashDataAsync(read, cancellationToken).ConfigureAwait(false);
            }

            await using var stream = File.OpenRead(file);
            await container.GetBlobClient(name).UploadAsync(stream, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentHash = md5 } }, cancellationToken).ConfigureAwait(false);
        }
    }
}
