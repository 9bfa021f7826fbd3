namespace ServerlessMed.Benchmarks;

/// <summary>The well-formed files of ../shared/corpus, loaded into memory once so benchmarks measure parsing, not disk.</summary>
internal static class CorpusFiles
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared", "corpus", "MANIFEST.tsv");
                if (File.Exists(Path.Combine(dir.FullName, "ServerlessMed.sln")) && File.Exists(candidate))
                {
                    return Path.GetDirectoryName(Path.GetFullPath(candidate))!;
                }
            }

            throw new DirectoryNotFoundException("../shared/corpus next to the repository");
        }
    }

    public static IReadOnlyList<string> WellFormedPaths() =>
        [.. File.ReadLines(Path.Combine(Root, "MANIFEST.tsv")).Skip(1).Select(l => l.Split('\t'))
            .Where(f => f.Length > 11 && !f[11].StartsWith("malformed:", StringComparison.Ordinal))
            .Select(f => Path.Combine(Root, f[0]))];

    public static IReadOnlyList<byte[]> Load() => [.. WellFormedPaths().Select(File.ReadAllBytes)];
}
