using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Workflow;
using ServerlessMed.Workflow.Outcomes;
using ServerlessMed.Workflow.Records;

namespace ServerlessMed.Testing;

/// <summary>Writes what ingest writes for an instance, without running ingest: a de-identified DICOM header in the
/// deid container and an embedding (.npy with its description) in the layout of <see cref="StorageLayout.Embedding"/> and the instance record. Vectors
/// come from clustered random data (one cluster per study), so nearest neighbours are known in advance.</summary>
public sealed class SyntheticEmbeddings(TenantStorage storage, string model = "synthetic-v1", int dimensions = 16, int seed = 7)
{
    private readonly Random _random = new(seed);
    private readonly Dictionary<string, float[]> _centres = new(StringComparer.Ordinal);

    public string Model => model;

    public int Dimensions => dimensions;

    /// <summary>Every instance written so far: its UIDs and frame vectors.</summary>
    public List<(string Study, string Series, string Sop, float[][] Frames)> Written { get; } = [];

    public static string Uid(string kind, int n) => $"2.25.{kind switch { "study" => 1, "series" => 2, _ => 3 }}{n:D8}";

    /// <summary>One instance near its study's centre (a centre is drawn when the study is new).</summary>
    public async Task<(string Study, string Series, string Sop)> AddAsync(string study, string series, string sop, string modality = "CT", string bodyPart = "CHEST", int frames = 1, string? seriesDescription = null, CancellationToken ct = default)
    {
        if (!_centres.TryGetValue(study, out var centre))
        {
            centre = [.. Enumerable.Range(0, dimensions).Select(_ => (float)((_random.NextDouble() * 2) - 1))];
            _centres[study] = centre;
        }

        var values = new float[frames * dimensions];
        var perFrame = new float[frames][];
        for (var f = 0; f < frames; f++)
        {
            perFrame[f] = [.. centre.Select(c => c + (float)(((_random.NextDouble() * 2) - 1) * 0.1))];
            perFrame[f].CopyTo(values, f * dimensions);
        }

        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
        ds.AddOrUpdate(DicomTag.SOPInstanceUID, sop);
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, study);
        ds.AddOrUpdate(DicomTag.SeriesInstanceUID, series);
        ds.AddOrUpdate(DicomTag.Modality, modality);
        ds.AddOrUpdate(DicomTag.BodyPartExamined, bodyPart);
        ds.AddOrUpdate(DicomTag.SeriesDescription, seriesDescription ?? $"{bodyPart} {modality}");
        ds.AddOrUpdate(DicomTag.StudyDescription, "synthetic study");
        ds.AddOrUpdate(DicomTag.PixelSpacing, "0.5", "0.75");
        ds.AddOrUpdate(DicomTag.Rows, DicomVR.US, (ushort)64);
        ds.AddOrUpdate(DicomTag.Columns, DicomVR.US, (ushort)48);
        using var dcm = new MemoryStream();
        new DicomFile(ds, DicomTransferSyntax.ExplicitVRLittleEndian).Save(dcm);
        await storage.WriteOnceAsync(storage.Options.Deid, StorageLayout.DeidInstance(study, series, sop), BinaryData.FromBytes(dcm.ToArray()), "application/dicom", ct);

        var id = model[..model.LastIndexOf("-v", StringComparison.Ordinal)];
        var version = model[(model.LastIndexOf("-v", StringComparison.Ordinal) + 2)..];
        var description = new EmbeddingDescription(id, version, new string('a', 64), "CPU", "embedding", 0, frames, [frames, dimensions], "float32", new EmbeddingPreprocessing("dataset-window", "bilinear", [0.5f], [0.25f], "NCHW", [dimensions, dimensions, 1]), EmbeddingFiles.Npy(sop, "embedding"));
        await BlobSink.WriteEmbeddingAsync(storage, new InstanceUids(study, series, sop), description, NpyWriter.Float32(values, [frames, dimensions]), ct);
        // Synthetic instances had no original identifiers: a record with an empty fingerprint list, as ingest writes
        // one for every instance.
        var record = new InstanceRecord { Input = "synthetic", Status = InstanceOutcome.Written, StudyUid = study, SeriesUid = series, SopUid = sop, FingerprintVersion = 1, Fingerprints = [], Embeddings = [description] };
        await storage.WriteOnceAsync(storage.Options.Audit, StorageLayout.InstanceRecord(study, sop, record.Input), BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(record, WorkflowJsonContext.Default.InstanceRecord)), "application/json", ct);
        Written.Add((study, series, sop, perFrame));
        return (study, series, sop);
    }

    /// <summary>Studies × series × instances, UIDs numbered from <paramref name="first"/>.</summary>
    public async Task AddStudiesAsync(int studies, int seriesPerStudy, int instancesPerSeries, int first = 0, CancellationToken ct = default)
    {
        for (var s = first; s < first + studies; s++)
        {
            for (var r = 0; r < seriesPerStudy; r++)
            {
                for (var i = 0; i < instancesPerSeries; i++)
                {
                    await AddAsync(Uid("study", s), Uid("series", (s * 100) + r), Uid("sop", (s * 10000) + (r * 100) + i), modality: s % 2 == 0 ? "CT" : "MR", ct: ct);
                }
            }
        }
    }
}
