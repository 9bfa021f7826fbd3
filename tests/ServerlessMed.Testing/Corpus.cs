namespace ServerlessMed.Testing;

/// <summary>The shared corpus (../shared/corpus next to the repo) and its manifest.</summary>
public static class Corpus
{
    private static readonly Lazy<IReadOnlyList<CorpusFile>> Files = new(LoadManifest);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Directory => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "corpus"));

    public static string StandardDirectory => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "standard"));

    public static IReadOnlyList<CorpusFile> All => Files.Value;

    public static IEnumerable<CorpusFile> WellFormed => All.Where(f => !f.IsMalformed);

    public static IEnumerable<CorpusFile> Malformed => All.Where(f => f.IsMalformed);

    public static CorpusFile Get(string relativePath) => All.Single(f => f.RelativePath == relativePath);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ServerlessMed.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (ServerlessMed.sln) above " + AppContext.BaseDirectory);
    }

    private static IReadOnlyList<CorpusFile> LoadManifest()
    {
        var manifest = Path.Combine(Directory, "MANIFEST.tsv");
        if (!File.Exists(manifest))
        {
            throw new InvalidOperationException($"the shared corpus is missing: expected {manifest} (../shared next to the repository)");
        }

        return [.. File.ReadLines(manifest).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var f = l.Split('\t');
            return new CorpusFile(f[0], Path.Combine(Directory, f[0]), f[4], f[6], f[7], f[8], f[9], f[11]);
        })];
    }
}

public sealed record CorpusFile(string RelativePath, string FullPath, string TransferSyntax, string Modality, string Photometric, string BitsAllocated, string Frames, string Notes)
{
    public bool IsMalformed => Notes.StartsWith("malformed:", StringComparison.Ordinal);

    public string TransferSyntaxUid => TransferSyntax.Split(' ')[0];

    public override string ToString() => RelativePath;
}
