namespace ServerlessMed.Search.Index;

/// <summary>Where the index stage keeps its files: in the embeddings container, under "_index/" (the embedding
/// reader skips names starting with '_'), so the identities that may read embeddings may read the index.</summary>
public static class SearchIndexLayout
{
    public static string Checkpoint(string model) => $"_index/{model}/checkpoint.json";

    public static string GenerationFolder(string model, string generation) => $"_index/{model}/{generation}/";

    public static string LevelFile(string model, string generation, IndexLevel level) => $"{GenerationFolder(model, generation)}{level.ToString().ToLowerInvariant()}.usearch";

    public static string Entries(string model, string generation) => $"{GenerationFolder(model, generation)}entries.json";
}
