using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using ServerlessMed.Imaging;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Pipeline.Storage;

/// <summary>Where one stored embedding lies: its model folder, its de-identified UIDs, its blob name (.npy) and the
/// model output it holds.</summary>
public sealed record EmbeddingRef(string Model, string StudyUid, string SeriesUid, string SopUid, string Name, string? Output = null);

/// <summary>One instance's embeddings of one output: frames × values-per-frame float32, the description stored
/// with them, and the SHA-256 of the .npy.</summary>
public sealed record StoredEmbedding(EmbeddingRef Ref, int Frames, int Dimensions, float[] Values, EmbeddingDescription Description, string Sha256)
{
    public ReadOnlySpan<float> Frame(int frame) => Values.AsSpan(frame * Dimensions, Dimensions);
}

/// <summary>The one place that knows how embeddings lie in storage (today
/// <c>embeddings/{model}/{study'}/{series'}/{sop'}_{output}.npy</c>, frames × the output's shape, with its
/// <see cref="EmbeddingDescription"/> in the blob's metadata: see <see cref="StorageLayout.Embedding"/> and
/// <see cref="BlobSink"/>): the search index stage and the training-set export read them only through this class,
/// so a change of layout is a change here. Names starting with '_' at the top of the container are not models (the
/// search index keeps its files under <c>_index/</c>).</summary>
public sealed class EmbeddingReader(TenantStorage storage)
{
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

    /// <summary>Every embedding of a model, optionally of one study only, in blob-name order: by default the
    /// model's primary output only (its first in model.json: what search and export use), with
    /// <paramref name="allOutputs"/> every output. A listed .npy is complete (one request wrote it with its description).</summary>
    public async IAsyncEnumerable<EmbeddingRef> ListAsync(string model, string? study = null, bool allOutputs = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefix = study is null ? model + "/" : $"{model}/{study}/";
        await foreach (var blob in storage.Container(storage.Options.Embeddings).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix, Traits = BlobTraits.Metadata }, cancellationToken).ConfigureAwait(false))
        {
            if (Parse(blob.Name) is { } r && DescriptionOf(blob.Metadata) is { } d && (allOutputs || d.OutputIndex == 0))
            {
                yield return r with { Output = d.Output };
            }
        }
    }

    /// <summary>Reads one embedding and its description (one request: the description comes with the blob).</summary>
    public async Task<StoredEmbedding> ReadAsync(EmbeddingRef embedding, CancellationToken cancellationToken = default)
    {
        var container = storage.Container(storage.Options.Embeddings);
        var download = (await container.GetBlobClient(embedding.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        var npy = download.Content.ToMemory();
        var description = DescriptionOf(download.Details.Metadata)
            ?? throw new InvalidDataException($"{storage.Options.Embeddings}/{embedding.Name}: no description in its metadata");
        var (shape, values) = NpyReader.Float32(npy.Span, $"{storage.Options.Embeddings}/{embedding.Name}");
        if (shape.Length < 2 || shape[0] != description.Frames)
        {
            throw new InvalidDataException($"{storage.Options.Embeddings}/{embedding.Name}: shape ({string.Join(", ", shape)}) is not {description.Frames} frames × the output's shape");
        }

        return new StoredEmbedding(embedding with { Output = description.Output }, shape[0], shape.Skip(1).Aggregate(1, (a, b) => a * b), values, description, Convert.ToHexString(SHA256.HashData(npy.Span)).ToLowerInvariant());
    }

    /// <summary>The parts of a blob name of this layout; null for a name that is not an embedding.</summary>
    public static EmbeddingRef? Parse(string name)
    {
        var parts = name.Split('/');
        return parts.Length == 4 && EmbeddingFiles.Parse(parts[3]) is var (sop, output)
            ? new EmbeddingRef(parts[0], parts[1], parts[2], sop, name, output)
            : null;
    }

    private static EmbeddingDescription? DescriptionOf(IDictionary<string, string>? metadata) =>
        metadata is not null && metadata.TryGetValue(BlobSink.DescriptionKey, out var json)
            ? JsonSerializer.Deserialize(json, WorkflowJsonContext.Default.EmbeddingDescription)
            : null;

    /// <summary>The de-identified DICOM file an embedding was made from (in the deid container).</summary>
    public static string DeidInstance(EmbeddingRef embedding) => StorageLayout.DeidInstance(embedding.StudyUid, embedding.SeriesUid, embedding.SopUid);
}
