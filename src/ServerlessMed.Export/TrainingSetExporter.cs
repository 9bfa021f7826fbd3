using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Export.Dataset;
using ServerlessMed.Export.Parquet;
using ServerlessMed.Pipeline.Stages;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Export;

public sealed class TrainingSetExportOptions
{
    /// <summary>Folder the dataset is written to: README.md (the dataset card) and data/model={model}/part-00000.parquet.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>One model (id or folder); null: every model the tenant has.</summary>
    public string? Model { get; init; }

    /// <summary>The tenant's name for the dataset card (never a patient's or a site's identifier).</summary>
    public string? Tenant { get; init; }

    /// <summary>Instances read at once from storage.</summary>
    public int ReadConcurrency { get; init; } = 8;
}

/// <summary>One model's Parquet file.</summary>
public sealed record ExportPartition(string Model, string Path, int Rows, int Instances, int Dimensions);

/// <summary>What an export wrote, and the columns the leak gate withheld (with why).</summary>
public sealed record ExportResult(IReadOnlyList<ExportPartition> Partitions, string CardPath, IReadOnlyList<LeakGate.LeakFinding> Withheld, int SourceInstances, int Fingerprints)
{
    public int Rows => Partitions.Sum(p => p.Rows);
}

/// <summary>No dataset could be written (no embeddings, a model the tenant does not have, instances the leak gate
/// cannot check). The message names no PHI.</summary>
public sealed class ExportRefusedException(string message) : Exception(message);

/// <summary>The training-set export: every embedding of the tenant's models (read through <see cref="EmbeddingReader"/>)
/// with its de-identified attributes (from the de-identified DICOM header) and the generated images of its study (from
/// their request.json), one row per frame, one Parquet file per model, and a dataset card. Before anything is written
/// the leak gate scans every text column against the keyed fingerprints of the source instances' identifiers; a
/// column that fails is not written (the card says which and why).</summary>
public sealed class TrainingSetExporter(TenantStorage storage, TenantKey key)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly EmbeddingReader _reader = new(storage);

    public async Task<ExportResult> ExportAsync(TrainingSetExportOptions options, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> models;
        if (options.Model is { Length: > 0 } m)
        {
            var resolved = await _reader.ResolveModelAsync(m, cancellationToken).ConfigureAwait(false);
            if (resolved is null)
            {
                var have = string.Join(", ", await _reader.ModelsAsync(cancellationToken).ConfigureAwait(false));
                throw new ExportRefusedException($"the tenant has no embeddings of model '{m}' (it has: {(have.Length > 0 ? have : "none")})");
            }

            models = [resolved];
        }
        else
        {
            models = await _reader.ModelsAsync(cancellationToken).ConfigureAwait(false);
        }

        var perModel = new List<(string Model, List<ExportRow> Rows, int Instances, int Dimensions)>();
        var audits = new ConcurrentBag<DeidAuditRecord>();
        var fingerprints = new IdentifierFingerprints(key);
        var sources = new HashSet<string>(StringComparer.Ordinal);
        var generatedCache = new ConcurrentDictionary<string, Task<IReadOnlyList<GeneratedSet>>>(StringComparer.Ordinal);
        var missing = 0;
        foreach (var model in models)
        {
            var refs = new List<EmbeddingRef>();
            await foreach (var e in _reader.ListAsync(model, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                refs.Add(e);
            }

            var perInstance = new List<ExportRow>[refs.Count];
            var stored = new IdentifierFingerprintRecord?[refs.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, refs.Count), new ParallelOptions { MaxDegreeOfParallelism = options.ReadConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var e = refs[i];
                var embedding = await _reader.ReadAsync(e, ct).ConfigureAwait(false);
                var header = await DeidHeaders.ReadAsync(storage, e.StudyUid, e.SeriesUid, e.SopUid, ct).ConfigureAwait(false);
                var generated = await generatedCache.GetOrAdd(e.StudyUid, s => GeneratedOfStudyAsync(s, ct)).ConfigureAwait(false);
                perInstance[i] = [.. Enumerable.Range(0, embedding.Frames).Select(f => Row(e, embedding, f, header, generated))];
                // Every upload that became this instance has its record: the gate takes all their fingerprints.
                var records = await RecordsOfAsync(e.StudyUid, e.SopUid, ct).ConfigureAwait(false);
                var withFingerprints = records.Where(r => r.Fingerprints is not null).ToList();
                stored[i] = withFingerprints.Count == 0 ? null : new IdentifierFingerprintRecord(withFingerprints[0].FingerprintVersion ?? IdentifierFingerprints.FormatVersion, [.. withFingerprints.SelectMany(r => r.Fingerprints!).Distinct(StringComparer.Ordinal)]);
                if (records.Select(r => r.Audit).FirstOrDefault(a => a is not null) is { } audit)
                {
                    audits.Add(audit);
                }
            }).ConfigureAwait(false);

            for (var i = 0; i < refs.Count; i++)
            {
                sources.Add(refs[i].SopUid);
                if (stored[i] is { } record)
                {
                    fingerprints.Add(record.Fingerprints);
                }
                else
                {
                    missing++;
                }
            }

            if (refs.Count > 0)
            {
                perModel.Add((model, [.. perInstance.SelectMany(r => r)], refs.Count, perInstance.SelectMany(r => r).First().Embedding.Length));
            }
        }

        if (perModel.Count == 0)
        {
            throw new ExportRefusedException("the tenant has no embeddings yet: nothing to export");
        }

        if (missing > 0)
        {
            throw new ExportRefusedException($"{missing} of {sources.Count} source instance(s) have no identifier fingerprints in the audit container (ingested before they were recorded), so the leak gate cannot check their rows: ingest them again, then export");
        }

        // The gate sees every row of every model before anything is written.
        var withheld = new Dictionary<string, LeakGate.LeakFinding>(StringComparer.Ordinal);
        foreach (var (_, rows, _, dims) in perModel)
        {
            foreach (var f in LeakGate.LeakGate.Scan(rows, TrainingSetSchema.Columns(dims), fingerprints))
            {
                withheld[f.Column] = withheld.TryGetValue(f.Column, out var earlier) ? earlier with { Values = earlier.Values + f.Values } : f;
            }
        }

        Directory.CreateDirectory(options.OutputFolder);
        var partitions = new List<ExportPartition>();
        foreach (var (model, rows, instances, dims) in perModel)
        {
            var columns = TrainingSetSchema.Columns(dims).Where(c => !withheld.ContainsKey(c.Name)).ToList();
            var path = Path.Combine(options.OutputFolder, "data", $"model={model}", "part-00000.parquet");
            ParquetPartitionWriter.Write(path, rows, columns);
            partitions.Add(new ExportPartition(model, path, rows.Count, instances, dims));
        }

        var result = new ExportResult(partitions, Path.Combine(options.OutputFolder, "README.md"), [.. withheld.Values], sources.Count, fingerprints.Count);
        var card = DatasetCard.Render(result, perModel.SelectMany(p => p.Rows).ToList(), [.. audits], options, TrainingSetSchema.Columns(perModel[0].Dimensions));
        await File.WriteAllTextAsync(result.CardPath, card, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static ExportRow Row(EmbeddingRef e, StoredEmbedding embedding, int frame, DicomDataset header, IReadOnlyList<GeneratedSet> generated)
    {
        double[]? spacing = null;
        if (header.TryGetStrings(DicomTag.PixelSpacing, out var s) && s.Length == 2
            && double.TryParse(s[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && double.TryParse(s[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var c))
        {
            spacing = [r, c];
        }

        return new ExportRow(
            e.StudyUid, e.SeriesUid, e.SopUid, frame,
            header.GetSingleValueOrDefault(DicomTag.SOPClassUID, string.Empty),
            header.GetSingleValueOrDefault(DicomTag.Modality, string.Empty),
            header.GetSingleValueOrDefault(DicomTag.BodyPartExamined, string.Empty),
            header.GetSingleValueOrDefault(DicomTag.SeriesDescription, string.Empty),
            header.GetSingleValueOrDefault(DicomTag.StudyDescription, string.Empty),
            spacing,
            header.GetValueOrDefault<ushort>(DicomTag.Rows, 0),
            header.GetValueOrDefault<ushort>(DicomTag.Columns, 0),
            embedding.Frame(frame).ToArray(),
            e.Model,
            embedding.Description.ModelSha256,
            embedding.Sha256,
            EmbeddingReader.DeidInstance(e),
            generated);
    }

    /// <summary>Every complete generation request of a study (request.json is written after its images).</summary>
    private async Task<IReadOnlyList<GeneratedSet>> GeneratedOfStudyAsync(string study, CancellationToken ct)
    {
        var container = storage.Container(storage.Options.Generated);
        var files = new List<string>();
        await foreach (var b in container.GetBlobsAsync(new GetBlobsOptions { Prefix = study + "/" }, ct).ConfigureAwait(false))
        {
            files.Add(b.Name);
        }

        var sets = new List<GeneratedSet>();
        foreach (var request in files.Where(f => f.EndsWith("/request.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var folder = request[..(request.LastIndexOf('/') + 1)];
            var p = await ReadJsonAsync<GenerationProvenance>(storage.Options.Generated, request, ct).ConfigureAwait(false);
            if (p is null)
            {
                continue;
            }

            bool Numbered(string f, string ext) => f.StartsWith(folder, StringComparison.Ordinal) && f.EndsWith(ext, StringComparison.Ordinal) && f.Length > folder.Length && char.IsAsciiDigit(f[folder.Length]) && !f[folder.Length..].Contains('/', StringComparison.Ordinal);
            sets.Add(new GeneratedSet(
                p.RequestId,
                [.. files.Where(f => Numbered(f, ".png"))],
                [.. files.Where(f => Numbered(f, ".dcm"))],
                string.Join(" | ", p.Prompts.Select(x => x.Weight == 1f ? x.Text : string.Create(CultureInfo.InvariantCulture, $"{x.Text}:{x.Weight}"))),
                p.NegativePrompt,
                p.Scheduler,
                p.Steps,
                p.GuidanceScale,
                p.Seed));
        }

        return sets;
    }

    /// <summary>The records of one instance (<see cref="StorageLayout.InstanceRecords"/>): one listing, one read each.</summary>
    private async Task<List<InstanceRecord>> RecordsOfAsync(string study, string sop, CancellationToken ct)
    {
        var container = storage.Container(storage.Options.Audit);
        var records = new List<InstanceRecord>();
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = StorageLayout.InstanceRecords(study, sop) }, ct).ConfigureAwait(false))
        {
            var content = (await container.GetBlobClient(blob.Name).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content;
            records.Add(JsonSerializer.Deserialize(content.ToMemory().Span, WorkflowJsonContext.Default.InstanceRecord)!);
        }

        return records;
    }
    private async Task<T?> ReadJsonAsync<T>(string container, string name, CancellationToken ct)
        where T : class
    {
        try
        {
            var content = (await storage.Container(container).GetBlobClient(name).DownloadContentAsync(ct).ConfigureAwait(false)).Value.Content;
            return JsonSerializer.Deserialize<T>(content.ToString(), Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
