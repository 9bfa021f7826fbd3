using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Cloud.Unum.USearch;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search.Index;

namespace ServerlessMed.Search.Embedded;

/// <summary>The embedded default: one USearch HNSW index (cosine) per level, in memory while in use and kept in the
/// tenant's storage as files of a generation (<see cref="SearchIndexLayout"/>) with the entries' attributes beside
/// them. Keys are positions in the entry table, stable across updates (an updated vector is removed and added under
/// the same key). Searches may run concurrently; upserts come from the one index stage holding the lease.</summary>
public sealed class EmbeddedSimilarityIndex : ISimilarityIndex
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly TenantStorage _storage;
    private readonly string _model;
    private readonly SimilaritySearchOptions _options;
    private readonly Dictionary<IndexLevel, LevelIndex> _levels = [];
    private readonly Lock _gate = new();
    private int _dimensions;

    private EmbeddedSimilarityIndex(TenantStorage storage, string model, SimilaritySearchOptions options)
    {
        _storage = storage;
        _model = model;
        _options = options;
        foreach (var level in Enum.GetValues<IndexLevel>())
        {
            _levels[level] = new LevelIndex();
        }
    }

    public SearchBackend Backend => SearchBackend.Embedded;

    /// <summary>A new empty index, or the one saved under a generation.</summary>
    public static async Task<EmbeddedSimilarityIndex> OpenAsync(TenantStorage storage, string model, string? generation, SimilaritySearchOptions options, CancellationToken cancellationToken = default)
    {
        var index = new EmbeddedSimilarityIndex(storage, model, options);
        if (generation is null)
        {
            return index;
        }

        var container = storage.Container(storage.Options.Embeddings);
        var entries = (await container.GetBlobClient(SearchIndexLayout.Entries(model, generation)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        var stored = JsonSerializer.Deserialize<StoredEntries>(entries.ToString(), Json)
            ?? throw new InvalidDataException($"{SearchIndexLayout.Entries(model, generation)}: empty");
        index._dimensions = stored.Dimensions;
        foreach (var level in Enum.GetValues<IndexLevel>())
        {
            var table = stored.Levels.GetValueOrDefault(level) ?? [];
            var li = index._levels[level];
            if (table.Count == 0)
            {
                continue;
            }

            var path = Path.Combine(Path.GetTempPath(), $"smed-index-{Guid.NewGuid():N}.usearch");
            try
            {
                await container.GetBlobClient(SearchIndexLayout.LevelFile(model, generation, level)).DownloadToAsync(path, cancellationToken).ConfigureAwait(false);
                li.Index = new USearchIndex(path, view: false);
            }
            finally
            {
                File.Delete(path);
            }

            for (var key = 0; key < table.Count; key++)
            {
                li.Entries.Add(table[key]);
                li.Keys[table[key].Uid] = (ulong)key;
            }
        }

        return index;
    }

    public Task UpsertAsync(IReadOnlyList<IndexEntry> entries, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var e in entries)
            {
                if (_dimensions == 0)
                {
                    _dimensions = e.Vector.Length;
                }
                else if (e.Vector.Length != _dimensions)
                {
                    throw new InvalidDataException($"index of {_model}: a {e.Level} vector of {e.Vector.Length} values does not fit an index of {_dimensions}");
                }

                var li = _levels[e.Level];
                li.Index ??= Create(_dimensions);
                var attrs = new StoredEntry(e.Uid, e.StudyUid, e.SeriesUid, e.Modality, e.BodyPart, e.Instances);
                if (li.Keys.TryGetValue(e.Uid, out var key))
                {
                    li.Index.Remove(key);
                    li.Entries[(int)key] = attrs;
                }
                else
                {
                    key = (ulong)li.Entries.Count;
                    li.Entries.Add(attrs);
                    li.Keys[e.Uid] = key;
                }

                li.Index.Add(key, e.Vector);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IndexEntry?> GetAsync(IndexLevel level, string uid, CancellationToken cancellationToken = default)
    {
        var li = _levels[level];
        if (li.Index is null || !li.Keys.TryGetValue(uid, out var key))
        {
            return Task.FromResult<IndexEntry?>(null);
        }

        li.Index.Get(key, out float[] vector);
        var a = li.Entries[(int)key];
        return Task.FromResult<IndexEntry?>(new IndexEntry(level, a.Uid, a.StudyUid, a.SeriesUid, a.Modality, a.BodyPart, a.Instances, vector));
    }

    public Task<IReadOnlyList<Neighbour>> SearchAsync(IndexLevel level, ReadOnlyMemory<float> query, int k, CancellationToken cancellationToken = default)
    {
        var li = _levels[level];
        if (li.Index is null || k <= 0)
        {
            return Task.FromResult<IReadOnlyList<Neighbour>>([]);
        }

        var found = li.Index.Search(query.ToArray(), k, out ulong[] keys, out float[] distances);
        var result = new List<Neighbour>(found);
        for (var i = 0; i < found; i++)
        {
            var a = li.Entries[(int)keys[i]];
            // USearch's cosine metric is a distance: 1 - cos.
            result.Add(new Neighbour(level, a.Uid, a.StudyUid, a.SeriesUid, a.Modality, a.BodyPart, a.Instances, 1 - distances[i]));
        }

        return Task.FromResult<IReadOnlyList<Neighbour>>(result);
    }

    public Task<long> CountAsync(IndexLevel level, CancellationToken cancellationToken = default) =>
        Task.FromResult((long)_levels[level].Entries.Count);

    public async Task SaveAsync(string generation, CancellationToken cancellationToken = default)
    {
        var container = _storage.Container(_storage.Options.Embeddings);
        var stored = new StoredEntries(_dimensions, _options.Precision, _levels.ToDictionary(kv => kv.Key, kv => kv.Value.Entries));
        foreach (var (level, li) in _levels)
        {
            if (li.Index is null)
            {
                continue;
            }

            var path = Path.Combine(Path.GetTempPath(), $"smed-index-{Guid.NewGuid():N}.usearch");
            try
            {
                li.Index.Save(path);
                await container.GetBlobClient(SearchIndexLayout.LevelFile(_model, generation, level)).UploadAsync(path, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" } }, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(path);
            }
        }

        // The entry table last: a generation with its entries.json is complete.
        await container.GetBlobClient(SearchIndexLayout.Entries(_model, generation)).UploadAsync(BinaryData.FromObjectAsJson(stored, Json), overwrite: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task ForgetAsync(string generation, CancellationToken cancellationToken = default)
    {
        var container = _storage.Container(_storage.Options.Embeddings);
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = SearchIndexLayout.GenerationFolder(_model, generation) }, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await container.GetBlobClient(blob.Name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException)
            {
                // Left for the next run: an old generation takes space but is never read.
            }
        }
    }

    public void Dispose()
    {
        foreach (var li in _levels.Values)
        {
            li.Index?.Dispose();
        }
    }

    private USearchIndex Create(int dimensions) => new(
        MetricKind.Cos,
        _options.Precision == VectorPrecision.F16 ? ScalarKind.Float16 : ScalarKind.Float32,
        (ulong)dimensions,
        (ulong)_options.Connectivity,
        (ulong)_options.ExpansionAdd,
        (ulong)_options.ExpansionSearch,
        false);

    private sealed class LevelIndex
    {
        public USearchIndex? Index { get; set; }

        public List<StoredEntry> Entries { get; } = [];

        public Dictionary<string, ulong> Keys { get; } = new(StringComparer.Ordinal);
    }

    private sealed record StoredEntry(string Uid, string StudyUid, string? SeriesUid, string Modality, string BodyPart, int Instances);

    private sealed record StoredEntries(int Dimensions, VectorPrecision Precision, Dictionary<IndexLevel, List<StoredEntry>> Levels);
}
