namespace ServerlessMed.Cli.Commands;

/// <summary>Which files the demo uploads: a folder's files, or a sample of the shared corpus (image files whose
/// pixels this build decodes, one instance without pixel data, and the corpus's malformed files so quarantine is
/// shown working).</summary>
internal static class DemoSample
{
    private static readonly string[] DecodableSyntaxes = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.203"];

    public static IReadOnlyList<(string Path, string BlobName)> FromFolder(string folder) =>
        [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) is not ("MANIFEST.tsv" or "README.md"))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, Path.GetRelativePath(folder, f).Replace('\\', '/')))];

    /// <summary>Images the demo shows must be placeable in a study (instances without Study/SOP Instance UID are
    /// quarantined by design; the malformed files cover quarantine).</summary>
    private static bool HasInstanceUids(string path)
    {
        try
        {
            var ds = ServerlessMed.Dicom.DicomFile.Open(path).Dataset;
            return ds.GetSingleValueOrDefault(ServerlessMed.Dicom.DicomTag.StudyInstanceUID, string.Empty).Length > 0
                && ds.GetSingleValueOrDefault(ServerlessMed.Dicom.DicomTag.SOPInstanceUID, string.Empty).Length > 0;
        }
        catch (ServerlessMed.Dicom.DicomException)
        {
            return false;
        }
    }

    public static IReadOnlyList<(string Path, string BlobName)> FromCorpus(string corpus, int count)
    {
        var manifest = Path.Combine(corpus, "MANIFEST.tsv");
        if (!File.Exists(manifest))
        {
            throw new DirectoryNotFoundException($"no corpus at {corpus} (expected MANIFEST.tsv); pass --input DIR");
        }

        var rows = File.ReadLines(manifest).Skip(1).Select(l => l.Split('\t')).Where(f => f.Length > 11).ToList();
        var images = rows.Where(f => !f[11].StartsWith("malformed:", StringComparison.Ordinal)
                && DecodableSyntaxes.Contains(f[4].Split(' ')[0]) && f[7].Length > 0 && f[8].Length > 0 && HasInstanceUids(Path.Combine(corpus, f[0])))
            .Take(count);
        // One instance without pixel data (a structured report): de-identified, nothing to embed, shown as such.
        var noPixels = rows.Where(f => !f[11].StartsWith("malformed:", StringComparison.Ordinal) && f[6] == "SR" && HasInstanceUids(Path.Combine(corpus, f[0]))).Take(1);
        var malformed = rows.Where(f => f[11].StartsWith("malformed:", StringComparison.Ordinal));
        return [.. images.Concat(noPixels).Concat(malformed).Select(f => (Path.Combine(corpus, f[0]), f[0]))];
    }
}
