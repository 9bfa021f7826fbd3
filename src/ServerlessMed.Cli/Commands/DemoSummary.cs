using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Cli.Commands;

/// <summary>One count of the demo's table: the console and the page print exactly these rows.</summary>
/// <param name="Key">Stable name (the page's data-count attribute; what the test compares).</param>
/// <param name="Depth">0 for a top-level row, 1 for a row that is part of the row above it.</param>
internal sealed record DemoCount(string Key, string Label, long Value, int Depth = 0);

/// <summary>A quarantined input, traceable without its name (which may hold PHI): its place in the demo's upload
/// order and the SHA-256 of its bytes (match with <c>sha256sum</c>).</summary>
/// <param name="UploadNumbers">1-based positions in the upload order whose bytes have this hash (empty: not an
/// uploaded file as is, e.g. an entry of a zip).</param>
internal sealed record DemoQuarantineEntry(string Id, string Stage, string Code, string Message, string? Sha256, IReadOnlyList<int> UploadNumbers);

/// <summary>A generated set and what made it (from its request.json, the generation provenance).</summary>
internal sealed record DemoGeneratedSet(string Request, GenerationProvenance? Provenance);

/// <summary>What a demo run did, read once and shown twice (console and page), so the two cannot disagree.
/// Counts are per upload, from the ingest stage's counters for this run: each upload is de-identified or quarantined
/// (a zip counts each entry); a de-identified upload is embedded or has no pixel data; an upload whose SOP Instance
/// UID is already stored is a duplicate, de-identified again but stored once.</summary>
internal sealed record DemoSummary(
    int Uploaded,
    long Deidentified,
    int StoredInstances,
    long Embedded,
    long NoPixels,
    long GenerationRequests,
    int GeneratedSets,
    int GeneratedImages,
    long Quarantined,
    IReadOnlyList<(string Reason, int Count)> QuarantineByCode,
    IReadOnlyList<DemoQuarantineEntry> QuarantineEntries,
    IReadOnlyList<DemoGeneratedSet> Generated,
    string EncoderModel,
    string DiffusionModel,
    bool TestModels,
    IReadOnlyList<(string Stage, TimeSpan Busy)> BusyTimes,
    TimeSpan UploadWall,
    TimeSpan ProcessingWall,
    TimeSpan TotalWall,
    int UploadsLeft,
    int DistinctEmbedded,
    int GenerationFailures)
{
    /// <summary>De-identified uploads whose instance was already stored (same SOP Instance UID).</summary>
    public long Duplicates => Math.Max(0, Deidentified - StoredInstances);

    public IReadOnlyList<DemoCount> Counts =>
    [
        new("uploaded", "uploaded", Uploaded),
        new("deidentified", "de-identified", Deidentified),
        new("duplicates", "duplicate (SOP Instance UID already stored)", Duplicates, 1),
        new("embedded", "embedded", Embedded, 1),
        new("no-pixels", "no pixel data (nothing to embed)", NoPixels, 1),
        new("generation-requests", "generation requests", GenerationRequests),
        new("generated", "generated images", GeneratedImages),
        new("quarantined", "quarantined", Quarantined),
        .. QuarantineByCode.Select(q => new DemoCount("quarantined:" + q.Reason, q.Reason.Replace(":", ": ", StringComparison.Ordinal), q.Count, 1)),
    ];

    /// <summary>How the counts are defined: printed under the table on the page.</summary>
    public string Definition => string.Create(CultureInfo.InvariantCulture,
        $"Counts are per upload (a zip counts each entry): every upload is de-identified or quarantined, and a de-identified upload is embedded or has no pixel data. A duplicate is an upload whose SOP Instance UID is already stored: it is de-identified again and counted, but stored once ({StoredInstances} instance(s) stored). Its generation request has the same id as the first, so it adds no images: {GeneratedSets} generated set(s).");

    /// <summary>Why the run is not fully accounted for; empty when it is (an instance without pixel data is not a problem).</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            var problems = new List<string>();
            if (Deidentified + Quarantined != Uploaded)
            {
                problems.Add($"uploaded {Uploaded} but de-identified {Deidentified} + quarantined {Quarantined}");
            }

            if (Embedded + NoPixels != Deidentified)
            {
                problems.Add($"{Deidentified - Embedded - NoPixels} de-identified upload(s) with pixel data but no embedding");
            }

            if (GenerationRequests == Embedded && GeneratedSets != DistinctEmbedded)
            {
                problems.Add($"generated sets {GeneratedSets} for {DistinctEmbedded} embedded instance(s)");
            }

            if (GenerationFailures > 0)
            {
                problems.Add($"{GenerationFailures} generation request(s) failed");
            }

            if (UploadsLeft > 0)
            {
                problems.Add($"{UploadsLeft} upload(s) left unprocessed");
            }

            return problems;
        }
    }

    public static async Task<DemoSummary> ReadAsync(PipelineHost host, StorageInventory inventory, IReadOnlyList<string> uploadedPaths, string modelsRoot, TimeSpan upload, TimeSpan processing, TimeSpan total, CancellationToken ct)
    {
        var m = host.Metrics;
        var uploadHashes = uploadedPaths.Select((p, i) => (Sha: Sha256Of(File.ReadAllBytes(p)), Number: i + 1)).ToLookup(x => x.Sha, x => x.Number);
        var quarantine = await ReadQuarantineAsync(host.Storage, ct).ConfigureAwait(false);
        var entries = quarantine.Select(q => q with { UploadNumbers = q.Sha256 is { } s ? [.. uploadHashes[s]] : [] }).OrderBy(q => q.UploadNumbers.Count == 0 ? int.MaxValue : q.UploadNumbers[0]).ThenBy(q => q.Id, StringComparer.Ordinal).ToList();
        var generated = new List<DemoGeneratedSet>();
        foreach (var request in inventory.GeneratedRequests.Order(StringComparer.Ordinal))
        {
            generated.Add(new DemoGeneratedSet(request, await ReadProvenanceAsync(host.Storage, request + "/request.json", ct).ConfigureAwait(false)));
        }

        var encoderModel = host.Encoder is { } e ? $"{e.Manifest.Id} v{e.Manifest.Version}" : "none";
        var diffusionModel = host.Diffusion?.Id ?? "none";
        return new DemoSummary(
            uploadedPaths.Count,
            m.Get("deidentified"),
            inventory.DeidInstances.Count,
            m.Get("embedded"),
            host.Metrics.Get("no-pixels"),
            m.Get("generation-requests"),
            inventory.GeneratedRequests.Count,
            inventory.GeneratedImages,
            m.Get("quarantined"),
            [.. m.QuarantineReasons.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, r.Value))],
            entries,
            generated,
            encoderModel,
            diffusionModel,
            IsTestModels(host, modelsRoot),
            [.. m.Stages.Order(StringComparer.Ordinal).Select(s => (s, m.Time(s)))],
            upload,
            processing,
            total,
            inventory.Uploads.Count,
            inventory.EmbeddedInstances,
            inventory.GenerationFailures.Count);
    }

    /// <summary>Full lowercase hex, as <c>sha256sum</c> prints it.</summary>
    public static string Sha256Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>The models are the built-in test models when what the pipeline loaded hashes the same as the ones
    /// scripts/make-test-models.py wrote (published under the test ids by LocalPipeline).</summary>
    private static bool IsTestModels(PipelineHost host, string modelsRoot)
    {
        static bool Same(string folder, string? hash) => hash is not null && Directory.Exists(folder) && Inference.Diffusion.ModelHash.Of(folder) == hash;
        return Same(Path.Combine(modelsRoot, "encoders", LocalPipeline.TestEncoderId), host.Encoder?.Sha256)
            || Same(Path.Combine(modelsRoot, "diffusion", LocalPipeline.TestDiffusionId), host.Diffusion?.Hash);
    }

    /// <summary>Each quarantine folder's record (any .json in it: the reason, or the unified record), read
    /// tolerantly; the SHA-256 from its "sha256" field, else computed from the original beside it.</summary>
    private static async Task<List<DemoQuarantineEntry>> ReadQuarantineAsync(TenantStorage storage, CancellationToken ct)
    {
        var container = storage.Container(storage.Options.Quarantine);
        var folders = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        await foreach (var blob in container.GetBlobsAsync(cancellationToken: ct).ConfigureAwait(false))
        {
            var slash = blob.Name.IndexOf('/', StringComparison.Ordinal);
            var folder = slash < 0 ? string.Empty : blob.Name[..slash];
            (folders.TryGetValue(folder, out var list) ? list : folders[folder] = []).Add(blob.Name);
        }

        var entries = new List<DemoQuarantineEntry>();
        foreach (var (folder, names) in folders)
        {
            if (names.FirstOrDefault(n => n.EndsWith(".json", StringComparison.Ordinal)) is not { } record)
            {
                continue;
            }

            using var doc = JsonDocument.Parse((await container.GetBlobClient(record).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToMemory());
            string? Field(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var sha = Field("sha256")?.ToLowerInvariant();
            if (sha is null && names.FirstOrDefault(n => Path.GetFileName(n).StartsWith("original", StringComparison.Ordinal)) is { } original)
            {
                sha = Sha256Of((await container.GetBlobClient(original).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content.ToMemory().Span);
            }

            entries.Add(new DemoQuarantineEntry(Field("id") ?? folder, Field("stage") ?? "?", Field("code") ?? "?", Field("message") ?? string.Empty, sha, []));
        }

        return entries;
    }

    private static async Task<GenerationProvenance?> ReadProvenanceAsync(TenantStorage storage, string name, CancellationToken ct)
    {
        try
        {
            var content = await storage.Container(storage.Options.Generated).GetBlobClient(name).DownloadContentAsync(ct).ConfigureAwait(false);
            return JsonSerializer.Deserialize<GenerationProvenance>(content.Value.Content.ToString(), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        }
        catch (Exception e) when (e is JsonException or Azure.RequestFailedException { Status: 404 })
        {
            return null;
        }
    }
}
