using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Search.Index;
using ServerlessMed.Search.Stage;

namespace ServerlessMed.Search.Query;

/// <summary>Nearest studies to a study of the index or to a query vector (an instance encoded by the caller): the
/// one query behind `smed search` and GET /api/similar. The query study itself is never among the results.</summary>
public sealed class SimilarStudySearch(SimilarityIndexFactory factory)
{
    public const int MaxK = 100;

    private readonly EmbeddingReader _reader = new(factory.Storage);

    /// <summary>The model folder a query is about: the one named (folder or id), else the tenant's only model.</summary>
    public async Task<string> ResolveModelAsync(string? model, CancellationToken cancellationToken = default)
    {
        if (model is { Length: > 0 })
        {
            return await _reader.ResolveModelAsync(model, cancellationToken).ConfigureAwait(false)
                ?? throw new SimilarStudiesException(SimilarStudiesError.UnknownModel, $"the tenant has no embeddings of model '{model}' (it has: {await ModelListAsync(cancellationToken).ConfigureAwait(false)})");
        }

        var models = await _reader.ModelsAsync(cancellationToken).ConfigureAwait(false);
        return models.Count switch
        {
            0 => throw new SimilarStudiesException(SimilarStudiesError.EmptyIndex, "the tenant has no embeddings yet: nothing to search"),
            1 => models[0],
            _ => throw new SimilarStudiesException(SimilarStudiesError.BadRequest, $"the tenant has embeddings of several models; name one with model (one of: {string.Join(", ", models)})"),
        };
    }

    public async Task<SimilarStudiesResult> ByStudyAsync(string studyUid, int k, string? model = null, CancellationToken cancellationToken = default)
    {
        CheckK(k);
        var (resolved, index) = await OpenAsync(model, cancellationToken).ConfigureAwait(false);
        using (index)
        {
            var study = await index.GetAsync(IndexLevel.Study, studyUid, cancellationToken).ConfigureAwait(false)
                ?? throw new SimilarStudiesException(SimilarStudiesError.UnknownStudy, $"no study {studyUid} in the index of {resolved} (a de-identified Study Instance UID is expected; new uploads appear after the index stage runs)");
            var results = await NearestAsync(index, study.Vector, k, studyUid, cancellationToken).ConfigureAwait(false);
            return new SimilarStudiesResult(resolved, new SimilarStudiesQuery(studyUid, null), k, results);
        }
    }

    /// <summary>Nearest studies to a vector (e.g. a new instance's embedding), leaving out <paramref name="excludeStudy"/>.</summary>
    public async Task<SimilarStudiesResult> ByVectorAsync(float[] vector, int k, string model, SimilarStudiesQuery query, string? excludeStudy, CancellationToken cancellationToken = default)
    {
        CheckK(k);
        var (resolved, index) = await OpenAsync(model, cancellationToken).ConfigureAwait(false);
        using (index)
        {
            var results = await NearestAsync(index, Vectors.Normalised(vector), k, excludeStudy, cancellationToken).ConfigureAwait(false);
            return new SimilarStudiesResult(resolved, query, k, results);
        }
    }

    private async Task<(string Model, ISimilarityIndex Index)> OpenAsync(string? model, CancellationToken ct)
    {
        var resolved = await ResolveModelAsync(model, ct).ConfigureAwait(false);
        var checkpoint = await SearchIndexStage.ReadCheckpointAsync(factory.Storage, resolved, ct).ConfigureAwait(false);
        if (checkpoint is null || checkpoint.Studies == 0)
        {
            throw new SimilarStudiesException(SimilarStudiesError.EmptyIndex, $"the index of {resolved} is empty: run the index stage (smed index) after ingest");
        }

        return (resolved, await factory.OpenAsync(resolved, checkpoint, ct).ConfigureAwait(false));
    }

    private static async Task<IReadOnlyList<SimilarStudy>> NearestAsync(ISimilarityIndex index, float[] vector, int k, string? exclude, CancellationToken ct)
    {
        var found = await index.SearchAsync(IndexLevel.Study, vector, k + 1, ct).ConfigureAwait(false);
        return [.. found.Where(n => n.Uid != exclude).Take(k).Select(n => new SimilarStudy(n.Uid, MathF.Round(n.Similarity, 6), n.Modality, n.BodyPart, n.Instances))];
    }

    private static void CheckK(int k)
    {
        if (k is < 1 or > MaxK)
        {
            throw new SimilarStudiesException(SimilarStudiesError.BadRequest, $"k must be 1 to {MaxK} (was {k})");
        }
    }

    private async Task<string> ModelListAsync(CancellationToken ct)
    {
        var models = await _reader.ModelsAsync(ct).ConfigureAwait(false);
        return models.Count == 0 ? "none" : string.Join(", ", models);
    }
}
