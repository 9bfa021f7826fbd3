using System.IO.Compression;
using ServerlessMed.Deid;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>Zip uploads are expanded while streaming, entry by entry, each entry accounted for; a zip bomb is
/// quarantined whole and never expanded.</summary>
public sealed class ZipUploadTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Zip_entries_are_ingested_one_by_one_and_a_bomb_is_quarantined()
    {
        var options = PrefixedStorage.Options(azurite.ConnectionString, "zip-");
        var logger = new CapturingLogger();
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), EncoderFolder = TestModels.Encoder }, logger);
        await host.Storage.EnsureCreatedAsync(Ct);
        var uploads = host.Storage.Container(options.Uploads);

        var study = new MemoryStream();
        using (var zip = new ZipArchive(study, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var rel in new[] { "pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/emri_small.dcm" })
            {
                zip.CreateEntryFromFile(Corpus.Get(rel).FullPath, "Doe^Jane/" + Path.GetFileName(rel));
            }

            using var w = new StreamWriter(zip.CreateEntry("Doe^Jane/notes.txt").Open());
            w.Write("referral for Doe^Jane");
        }

        study.Position = 0;
        await uploads.GetBlobClient("Doe^Jane-study.zip").UploadAsync(study, Ct);

        var bomb = new MemoryStream();
        using (var zip = new ZipArchive(bomb, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var s = zip.CreateEntry("x.dcm", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 64; i++)
            {
                s.Write(zeros);
            }
        }

        bomb.Position = 0;
        await uploads.GetBlobClient("Roe^Richard.zip").UploadAsync(bomb, Ct);
        await uploads.GetBlobClient("Doe^Jane-ct.dcm").UploadAsync(Corpus.Get("pydicom/CT_small.dcm").FullPath, Ct);

        await host.RunUntilIdleAsync(runGeneration: false, cancellationToken: Ct);
        var inv = await StorageInventory.ReadAsync(host.Storage, Ct);

        // 3 DICOM entries + the loose CT (same instance as the zipped CT: a duplicate) processed; the text entry and the
        // bomb quarantined; the zip itself gets an "expanded" receipt.
        Assert.Equal(4, inv.ProcessedUploads);
        Assert.Equal(2, inv.QuarantinedUploads);
        Assert.Equal(1, inv.Records.Count(r => r.Status == InstanceOutcome.Expanded));
        Assert.Equal(3, inv.DeidInstances.Count);
        Assert.Contains(inv.Quarantined, q => q.Code == QuarantineCode.ZipBomb && q.Stage == QuarantineStage.Expand);
        Assert.Contains(inv.Quarantined, q => q.Code == QuarantineCode.NotDicomOrMalformed);
        Assert.Empty(inv.Uploads);
        Assert.DoesNotContain("Doe^Jane", logger.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("Roe^Richard", logger.AllText, StringComparison.Ordinal);
    }
}

/// <summary><c>smed upload</c> and <c>smed status</c> against a tenant's storage.</summary>
public sealed class UploadCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task A_folder_with_a_zip_goes_up_under_one_batch_and_status_shows_what_waits()
    {
        var dir = Directory.CreateTempSubdirectory("smed-upload").FullName;
        File.Copy(Corpus.Get("pydicom/CT_small.dcm").FullPath, Path.Combine(dir, "ct.dcm"));
        Directory.CreateDirectory(Path.Combine(dir, "series"));
        File.Copy(Corpus.Get("pydicom/MR_small.dcm").FullPath, Path.Combine(dir, "series", "mr.dcm"));
        using (var zip = ZipFile.Open(Path.Combine(dir, "study.zip"), ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(Corpus.Get("pydicom-data/emri_small.dcm").FullPath, "emri.dcm");
        }

        var env = new Dictionary<string, string> { ["SMED_STORAGE_ST_MARYS"] = azurite.ConnectionString, ["SMED_STORAGE"] = string.Empty };
        var r = Smed.Run(["upload", dir, "--tenant", "st-marys"], env);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("uploaded 3 file(s)", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("3/3 files", r.StdErr, StringComparison.Ordinal);

        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString });
        var names = new List<string>();
        await foreach (var b in storage.Container(storage.Options.Uploads).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, TestContext.Current.CancellationToken))
        {
            names.Add(b.Name);
        }

        Assert.Equal(3, names.Count);
        Assert.Single(names.Select(n => n.Split('/')[0]).Distinct());
        Assert.Contains(names, n => n.EndsWith("/series/mr.dcm", StringComparison.Ordinal));

        var status = Smed.Run(["status", "--connection-string", azurite.ConnectionString]);
        Assert.Contains("uploads waiting      3", status.StdOut, StringComparison.Ordinal);
        Assert.Contains("oldest waiting", status.StdOut, StringComparison.Ordinal);

        var none = Smed.Run(["upload", dir, "--tenant", "nobody"], new Dictionary<string, string> { ["SMED_STORAGE"] = string.Empty });
        Assert.Equal(2, none.ExitCode);
    }
}
