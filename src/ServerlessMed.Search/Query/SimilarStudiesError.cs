namespace ServerlessMed.Search.Query;

/// <summary>Why a similar-study query has no answer: each gets one clear line (and an HTTP status).</summary>
public enum SimilarStudiesError
{
    /// <summary>A parameter is missing or out of range (400).</summary>
    BadRequest,

    /// <summary>The tenant has no embeddings of the model asked for (404).</summary>
    UnknownModel,

    /// <summary>The model has embeddings but no index yet, or an index with no studies (404): run the index stage.</summary>
    EmptyIndex,

    /// <summary>No study with that de-identified UID in the index (404).</summary>
    UnknownStudy,
}

/// <summary>A query that cannot be answered. The message names de-identified UIDs and model names only.</summary>
public sealed class SimilarStudiesException(SimilarStudiesError error, string message) : Exception(message)
{
    public SimilarStudiesError Error { get; } = error;

    /// <summary>The HTTP status of this error.</summary>
    public int StatusCode => Error == SimilarStudiesError.BadRequest ? 400 : 404;

    /// <summary>The machine-readable code in JSON error bodies ("unknown-study", ...).</summary>
    public string Code => Error switch
    {
        SimilarStudiesError.BadRequest => "bad-request",
        SimilarStudiesError.UnknownModel => "unknown-model",
        SimilarStudiesError.EmptyIndex => "empty-index",
        _ => "unknown-study",
    };
}
