using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using ServerlessMed.Imaging;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>Where one stored embedding lies: its model folder, its de-identified UIDs and its blob name (.npy).</summary>
public sealed record EmbeddingRef(string Model, string StudyUid, string SeriesUid, string SopUid, string Name);

/// <summary>What the ingest stage wrote beside an embedding (.json): the model and the shape.</summary>
public sealed record EmbeddingMetadata(string Model, string Version, string Output, string? ModelSha256, string? Provider);

/// <summary>One instance's embeddings: frames × dimensions float32 values, the metadata, and the SHA-256 of the .npy.</summary>
public sealed record StoredEmbedding(EmbeddingRef Ref, int Frames, int Dimensions, float[] Values, EmbeddingMetadata Metadata, string Sha256)
{
    public ReadOnlySpan<float> Frame(int frame) => Values.AsSpan(frame * Dimensions, Dimensions);
}

/// <summary>The one place that knows how embeddings lie in storage (today
/// <c>embeddings/{model}/{study'}/{series'}/{sop'}.npy + .json</c>, see <see cref="StorageLayout.Embedding"/>): the
/// search index stage and the training-set export read them only through this class, so a change of layout is a
/// change here. Names starting with '_' at the top of the container are not models (the search index keeps its files
/// under <c>_index/</c>).</summary>
public sealed class EmbeddingReader(TenantStorage storage)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The model folders the tenant has embeddings of ("{id}-v{version}"), in ordinal order.</summary>
    public async Task<IReadOnlyList<string>> ModelsAsync(CancellationToken cancellationToken = default)
    {
        var models = new List<string>();
        await foreach (var item in storage.Container(storage.Options.Embeddings).GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", null, cancellationToken).ConfigureAwait(false))
        {
            if (item.IsPrefix && !item.Prefix.StartsWith('_'))
            {
                models.Add(item.Prefix.TrimEnd('/'));
            }
        }

        models.Sort(StringComparer.Ordinal);
        return models;
    }

    /// <summary>The model folder a user names: the folder itself ("tiny-gray-v1") or the model id alone when one
    /// version of it is stored ("tiny-gray"). Null when the tenant has no such model.</summary>
    public async Task<string?> ResolveModelAsync(string name, CancellationToken cancellationToken = default)
    {
        var models = await ModelsAsync(cancellationToken).ConfigureAwait(false);
        if (models.Contains(name, StringComparer.Ordinal))
        {
            return name;
        }

        var versions = models.Where(m => m.StartsWith(name + "-v", StringComparison.Ordinal)).ToList();
        return versions.Count == 1 ? versions[0] : null;
    }

    /// <summary>Every complete embedding of a model (the .npy and its .json both written), optionally of one study
    /// only, in blob-name order.</summary>
    public async IAsyncEnumerable<EmbeddingRef> ListAsync(string model, string? study = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefix = study is null ? model + "/" : $"{model}/{study}/";
        string? pendingJson = null;
        await foreach (var blob in storage.Container(storage.Options.Embeddings).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            // Listing is in name order, and "{sop}.json" sorts just before "{sop}.npy".
            if (blob.Name.EndsWith(".json", StringComparison.Ordinal))
            {
                pendingJson = blob.Name[..^".json".Length];
            }
            else if (blob.Name.EndsWith(".npy", StringComparison.Ordinal) && pendingJson == blob.Name[..^".npy".Length] && Parse(blob.Name) is { } r)
            {
                yield return r;
            }
        }
    }

    /// <summary>Reads one embedding and its metadata.</summary>
    public async Task<StoredEmbedding> ReadAsync(EmbeddingRef embedding, CancellationToken cancellationToken = default)
    {
        var container = storage.Container(storage.Options.Embeddings);
        var npy = (await container.GetBlobClient(embedding.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToMemory();
        var jsonName = embedding.Name[..^".npy".Length] + ".json";
        var json = (await container.GetBlobClient(jsonName).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        var meta = JsonSerializer.Deserialize<EmbeddingMetadata>(json.ToString(), Json)
            ?? throw new InvalidDataException($"{storage.Options.Embeddings}/{jsonName}: empty metadata");
        var (shape, values) = NpyReader.Float32(npy.Span, $"{storage.Options.Embeddings}/{embedding.Name}");
        if (shape.Length != 2)
        {
            throw new InvalidDataException($"{storage.Options.Embeddings}/{embedding.Name}: shape ({string.Join(", ", shape)}) is not frames × values");
        }

        return new StoredEmbedding(embedding, shape[0], shape[1], values, meta, Convert.ToHexString(SHA256.HashData(npy.Span)).ToLowerInvariant());
    }

    /// <summary>The parts of a blob name of this layout; null for a name that is not an embedding.</summary>
    public static EmbeddingRef? Parse(string name)
    {
        var parts = name.Split('/');
        return parts.Length == 4 && parts[3].EndsWith(".npy", StringComparison.Ordinal)
            ? new EmbeddingRef(parts[0], parts[1], parts[2], parts[3][..^".npy".Length], name)
            : null;
    }

    /// <summary>The de-identified DICOM file an embedding was made from (in the deid container).</summary>
    public static string DeidInstance(EmbeddingRef embedding) => StorageLayout.DeidInstance(embedding.StudyUid, embedding.SeriesUid, embedding.SopUid);
}
