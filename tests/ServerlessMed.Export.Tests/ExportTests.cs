using System.Buffers.Binary;
using System.Text;
using DuckDB.NET.Data;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Export;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.Export.Tests;

/// <summary>A tenant filled by the real pipeline (ingest and generation) on Azurite from corpus images, exported,
/// and read back by an independent Parquet reader: DuckDB.</summary>
public sealed class ExportTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private static readonly string[] Images =
    [
        "pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom/SC_rgb_small_odd.dcm", "pydicom-data/emri_small.dcm", "highdicom/dx_image.dcm",
    ];

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "smed-export-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
    }

    private async Task<(TenantStorage Storage, TenantKey Key)> IngestedTenantAsync()
    {
        Directory.CreateDirectory(_temp);
        var key = TenantKey.LoadOrCreate(Path.Combine(_temp, "tenant.key"), createIfMissing: true);
        var options = PrefixedStorage.Options(azurite.ConnectionString, "x" + Guid.NewGuid().ToString("N")[..8]);
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = key, EncoderFolder = TestModels.Encoder, DiffusionFolder = TestModels.Diffusion }, new CapturingLogger());
        await host.Storage.EnsureCreatedAsync(Ct);
        foreach (var rel in Images)
        {
            await host.Storage.Container(options.Uploads).GetBlobClient("b/" + Path.GetFileName(rel)).UploadAsync(Corpus.Get(rel).FullPath, Ct);
        }

        await host.RunUntilIdleAsync(runGeneration: true, cancellationToken: Ct);
        return (new TenantStorage(options), key);
    }

    private static DuckDBConnection Duck()
    {
        var c = new DuckDBConnection("Data Source=:memory:");
        c.Open();
        return c;
    }

    private static List<object?[]> Query(DuckDBConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < r.FieldCount; i++)
            {
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A minimal .npy parse, written apart from the product's reader: header length at bytes 8-9 (format 1.0), then little-endian float32.</summary>
    private static float[] NpyValues(byte[] npy)
    {
        var start = 10 + BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8));
        var values = new float[(npy.Length - start) / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(npy.AsSpan(start + (i * 4)));
        }

        return values;
    }

    [Fact]
    public async Task The_parquet_dataset_reads_in_duckdb_with_the_schema_every_embedding_and_the_generated_images()
    {
        var (storage, key) = await IngestedTenantAsync();
        var inv = await StorageInventory.ReadAsync(storage, Ct);
        Assert.NotEmpty(inv.Embeddings);
        var outDir = Path.Combine(_temp, "dataset");

        var result = await new TrainingSetExporter(storage, key).ExportAsync(new TrainingSetExportOptions { OutputFolder = outDir, Tenant = "test" }, Ct);

        Assert.Empty(result.Withheld);
        var partition = Assert.Single(result.Partitions);
        Assert.Equal("tiny-gray-v1", partition.Model);
        Assert.Equal(Path.Combine(outDir, "data", "model=tiny-gray-v1", "part-00000.parquet"), partition.Path);
        using var duck = Duck();
        var glob = Path.Combine(outDir, "data", "*", "*.parquet");

        // Schema: the columns the issue lists, the embedding as a fixed-size float list of the model's width.
        var schema = Query(duck, $"DESCRIBE SELECT * FROM read_parquet('{glob}')").ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        // DuckDB reads the Parquet list as a list; every one holds the model's 32 values. The Arrow schema stored in
        // the file (what pyarrow, pandas and Hugging Face datasets read) says fixed_size_list<float>[32]: decoded here
        // with Apache Arrow's C# IPC reader, apart from the C++ writer that wrote it.
        Assert.Equal("FLOAT[]", schema["embedding"]);
        Assert.Equal(32, Convert.ToInt32(Query(duck, $"SELECT DISTINCT len(embedding) FROM read_parquet('{glob}')").Single()[0]));
        var arrowSchema = (string)Query(duck, $"SELECT decode(value) FROM parquet_kv_metadata('{partition.Path}') WHERE decode(key) = 'ARROW:schema'").Single()[0]!;
        using (var ipc = new Apache.Arrow.Ipc.ArrowStreamReader(new MemoryStream(Convert.FromBase64String(arrowSchema))))
        {
            var embedding = Assert.IsType<Apache.Arrow.Types.FixedSizeListType>(ipc.Schema.GetFieldByName("embedding").DataType);
            Assert.Equal(32, embedding.ListSize);
            Assert.IsType<Apache.Arrow.Types.FloatType>(embedding.ValueDataType);
        }

        Assert.Equal(32, Convert.ToInt32(Query(duck, $"SELECT DISTINCT len(embedding::FLOAT[32]) FROM read_parquet('{glob}')").Single()[0]));
        foreach (var c in new[] { "study_instance_uid", "series_instance_uid", "sop_instance_uid", "sop_class_uid", "modality", "body_part_examined", "series_description", "study_description", "model_id", "model_sha256", "embedding_sha256", "deid_path" })
        {
            Assert.Equal("VARCHAR", schema[c]);
        }

        Assert.Equal("DOUBLE[]", schema["pixel_spacing"]);
        Assert.Equal("INTEGER", schema["rows"]);
        Assert.Equal("INTEGER", schema["frame"]);
        foreach (var c in new[] { "generated_images", "generated_dicom", "generated_prompts", "generated_negative_prompts", "generated_schedulers", "generated_request_ids" })
        {
            Assert.Equal("VARCHAR[]", schema[c]);
        }

        Assert.Equal("INTEGER[]", schema["generated_steps"]);
        Assert.Equal("FLOAT[]", schema["generated_guidance"]);

        // Row count: one per frame of every embedding in storage; every instance once.
        var reader = new EmbeddingReader(storage);
        var embeddings = new List<StoredEmbedding>();
        await foreach (var e in reader.ListAsync("tiny-gray-v1", cancellationToken: Ct))
        {
            embeddings.Add(await reader.ReadAsync(e, Ct));
        }

        Assert.Equal(inv.Embeddings.Count, embeddings.Count);
        Assert.Equal(embeddings.Sum(e => e.Frames), Convert.ToInt32(Query(duck, $"SELECT count(*) FROM read_parquet('{glob}')")[0][0]));
        Assert.Equal(inv.Embeddings.Count, Convert.ToInt32(Query(duck, $"SELECT count(DISTINCT sop_instance_uid) FROM read_parquet('{glob}')")[0][0]));
        Assert.Equal("tiny-gray-v1", Query(duck, $"SELECT DISTINCT model FROM read_parquet('{glob}', hive_partitioning = true)").Single()[0]);

        // Vectors: equal, value for value, to the .npy files in storage.
        var values = Query(duck, $"SELECT sop_instance_uid, frame, generate_subscripts(embedding::FLOAT[], 1) AS i, unnest(embedding::FLOAT[]) AS v FROM read_parquet('{glob}')");
        var container = storage.Container(storage.Options.Embeddings);
        foreach (var e in embeddings)
        {
            var npy = NpyValues((await container.GetBlobClient(e.Ref.Name).DownloadContentAsync(Ct)).Value.Content.ToArray());
            var mine = values.Where(v => (string)v[0]! == e.Ref.SopUid).ToList();
            Assert.Equal(npy.Length, mine.Count);
            foreach (var v in mine)
            {
                var index = (Convert.ToInt32(v[1]) * e.Dimensions) + Convert.ToInt32(v[2]) - 1;
                Assert.Equal(npy[index], Convert.ToSingle(v[3]));
            }
        }

        // The de-identified path, the embedding hash and the generated images point at what is in storage.
        var rows = Query(duck, $"SELECT deid_path, embedding_sha256, generated_images, generated_prompts, generated_steps, model_sha256 FROM read_parquet('{glob}')");
        Assert.All(rows, r => Assert.Contains((string)r[0]!, inv.DeidInstances));
        Assert.All(rows, r => Assert.Matches("^[0-9a-f]{64}$", (string)r[1]!));
        Assert.All(rows, r => Assert.Matches("^[0-9a-f]{64}$", (string)r[5]!));
        var images = rows.SelectMany(r => ((System.Collections.IEnumerable)r[2]!).Cast<string>()).Distinct().ToList();
        Assert.Equal(inv.GeneratedImages, images.Count);
        Assert.All(images, i => Assert.Contains(i, inv.GeneratedFiles));
        Assert.All(rows, r => Assert.NotEmpty(((System.Collections.IEnumerable)r[3]!).Cast<string>()));

        // The card: counts per modality, the de-identification profile, the tool version, the configuration.
        var card = await File.ReadAllTextAsync(result.CardPath, Ct);
        Assert.Contains("data_files: data/model=tiny-gray-v1/*.parquet", card, StringComparison.Ordinal);
        Assert.Contains("## Counts per modality", card, StringComparison.Ordinal);
        foreach (var modality in Query(duck, $"SELECT modality, count(*) FROM read_parquet('{glob}') GROUP BY modality"))
        {
            Assert.Contains($"| {modality[0]} | {modality[1]} |", card, StringComparison.Ordinal);
        }

        Assert.Contains("PS3.15", card, StringComparison.Ordinal);
        Assert.Contains(DatasetCard.ToolVersion, card, StringComparison.Ordinal);
        Assert.Contains("every column was written", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_leak_gate_withholds_a_column_holding_an_identifier_of_a_source_instance()
    {
        var (storage, key) = await IngestedTenantAsync();

        // A policy bug or a hand edit: the original patient name and an original UID end up in de-identified headers.
        var original = DicomFile.Open(Corpus.Get("pydicom/CT_small.dcm").FullPath).Dataset;
        var family = DicomPersonName.Parse(original.GetString(DicomTag.PatientName)).AllComponents().First(c => c.Length >= 3);
        var originalStudyUid = original.GetString(DicomTag.StudyInstanceUID);
        var deid = storage.Container(storage.Options.Deid);
        var names = new List<string>();
        await foreach (var b in deid.GetBlobsAsync(cancellationToken: Ct))
        {
            names.Add(b.Name);
        }

        var victim = names.Order(StringComparer.Ordinal).First();
        var file = DicomFile.Open(new MemoryStream((await deid.GetBlobClient(victim).DownloadContentAsync(Ct)).Value.Content.ToArray()));
        file.Dataset.AddOrUpdate(DicomTag.SeriesDescription, $"chest ({family.ToLowerInvariant()}) follow-up");
        file.Dataset.AddOrUpdate(DicomTag.StudyDescription, $"see study {originalStudyUid}");
        using (var ms = new MemoryStream())
        {
            file.Save(ms);
            await deid.GetBlobClient(victim).UploadAsync(BinaryData.FromBytes(ms.ToArray()), overwrite: true, Ct);
        }

        var outDir = Path.Combine(_temp, "leaky");
        var result = await new TrainingSetExporter(storage, key).ExportAsync(new TrainingSetExportOptions { OutputFolder = outDir }, Ct);

        Assert.Equal(["series_description", "study_description"], result.Withheld.Select(w => w.Column).Order(StringComparer.Ordinal));
        // Every row of the edited instance (one per frame) holds the planted values, and no other row does.
        var victimParts = victim[..^".dcm".Length].Split('/');
        var victimFrames = (await new EmbeddingReader(storage).ReadAsync(new EmbeddingRef("tiny-gray-v1", victimParts[0], victimParts[1], victimParts[2], StorageLayout.Embedding("tiny-gray-v1", victimParts[0], victimParts[1], victimParts[2] + "_embedding.npy")), Ct)).Frames;
        Assert.All(result.Withheld, w => Assert.Equal((victimParts[2], victimFrames), (w.FirstSopUid, w.Values)));
        using var duck = Duck();
        var columns = Query(duck, $"DESCRIBE SELECT * FROM read_parquet('{Path.Combine(outDir, "data", "*", "*.parquet")}')").Select(r => (string)r[0]!).ToList();
        Assert.DoesNotContain("series_description", columns);
        Assert.DoesNotContain("study_description", columns);
        Assert.Contains("modality", columns);
        Assert.Contains("embedding", columns);

        // Neither the files nor the card hold the planted values; the card says what was withheld and why.
        var card = await File.ReadAllTextAsync(Path.Combine(outDir, "README.md"), Ct);
        Assert.Contains($"`series_description`: {victimFrames} value(s), first in the row of SOP Instance UID {victimParts[2]}", card, StringComparison.Ordinal);
        var bytes = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(result.Partitions[0].Path, Ct));
        foreach (var planted in new[] { family, family.ToLowerInvariant(), originalStudyUid })
        {
            Assert.DoesNotContain(planted, card, StringComparison.Ordinal);
            Assert.DoesNotContain(planted, bytes, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_export_refuses_instances_the_gate_cannot_check_and_models_the_tenant_lacks()
    {
        var (storage, key) = await IngestedTenantAsync();
        var missingModel = await Assert.ThrowsAsync<ExportRefusedException>(() => new TrainingSetExporter(storage, key).ExportAsync(new TrainingSetExportOptions { OutputFolder = Path.Combine(_temp, "a"), Model = "no-such-model" }, Ct));
        Assert.Contains("tiny-gray-v1", missingModel.Message, StringComparison.Ordinal);

        var audit = storage.Container(storage.Options.Audit);
        // The records of one embedded instance (its fingerprints are in them) go missing.
        EmbeddingRef? first = null;
        await foreach (var e in new EmbeddingReader(storage).ListAsync("tiny-gray-v1", cancellationToken: Ct))
        {
            first = e;
            break;
        }

        var deleted = 0;
        await foreach (var b in audit.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = StorageLayout.InstanceRecords(first!.StudyUid, first.SopUid) }, Ct))
        {
            await audit.GetBlobClient(b.Name).DeleteAsync(cancellationToken: Ct);
            deleted++;
        }

        Assert.True(deleted > 0);

        var refused = await Assert.ThrowsAsync<ExportRefusedException>(() => new TrainingSetExporter(storage, key).ExportAsync(new TrainingSetExportOptions { OutputFolder = Path.Combine(_temp, "b") }, Ct));
        Assert.Contains("fingerprints", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_temp, "b")));
    }
}
