using ServerlessMed.Search.Index;

namespace ServerlessMed.Search.Stage;

/// <summary>What the index holds, written by the index stage after each batch it made durable: the generation of
/// the index files, the last embedding it took in (blob name), and every instance it holds, by study and series, so a
/// later run (or a rebuild that stopped half way) takes in only what is not there yet.</summary>
public sealed record IndexCheckpoint(
    int Version,
    string Model,
    SearchBackend Backend,
    int Dimensions,
    string Generation,
    string? LastEmbedding,
    long Instances,
    long Series,
    long Studies,
    DateTimeOffset UpdatedAt,
    Dictionary<string, Dictionary<string, List<string>>> Held)
{
    public const int CurrentVersion = 1;

    public bool Holds(string study, string series, string sop) =>
        Held.TryGetValue(study, out var s) && s.TryGetValue(series, out var sops) && sops.Contains(sop, StringComparer.Ordinal);
}
