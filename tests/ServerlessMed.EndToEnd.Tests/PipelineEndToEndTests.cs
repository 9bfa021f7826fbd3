using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;
using ServerlessMed.Workflow.Outcomes;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>The demo's path on a real Azurite: uploads → ingest (de-identify, encode, enqueue) → generation.</summary>
public sealed class PipelineEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly string[] Images =
    [
        "pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom/MR_small_bigendian.dcm", "pydicom/MR_small_RLE.dcm",
        "pydicom/ExplVR_BigEnd.dcm", "pydicom/SC_rgb_small_odd.dcm", "pydicom/chrFren.dcm", "pydicom/chrH31.dcm",
        "pydicom/dicomdirtests/77654033/CR1/6154", "pydicom-data/emri_small.dcm", "highdicom/dx_image.dcm", "pydicom/image_dfl.dcm",
    ];

    [Fact]
    public async Task Uploads_are_all_accounted_for_with_no_PHI_in_names_or_logs()
    {
        var storage = new TenantStorageOptions { ConnectionString = azurite.ConnectionString };
        var keyPath = Path.Combine(Path.GetTempPath(), "smed-e2e-" + Guid.NewGuid().ToString("N") + ".key");
        var logger = new CapturingLogger();
        using var host = PipelineHost.Create(new PipelineHostOptions
        {
            Storage = storage,
            Key = TenantKey.LoadOrCreate(keyPath, createIfMissing: true),
            EncoderFolder = TestModels.Encoder,
            DiffusionFolder = TestModels.Diffusion,
        }, logger);
        await host.Storage.EnsureCreatedAsync(TestContext.Current.CancellationToken);

        // Upload names as a hospital might choose them: they hold PHI, and must not reach any output.
        var uploads = host.Storage.Container(storage.Uploads);
        var phi = new List<string>();
        foreach (var rel in Images)
        {
            var path = Corpus.Get(rel).FullPath;
            var ds = DicomFile.Open(path).Dataset;
            foreach (var tag in new[] { DicomTag.StudyInstanceUID, DicomTag.SeriesInstanceUID, DicomTag.SOPInstanceUID, DicomTag.PatientID })
            {
                phi.Add(ds.GetSingleValueOrDefault(tag, string.Empty));
            }

            phi.AddRange(DicomPersonName.Parse(ds.GetSingleValueOrDefault(DicomTag.PatientName, string.Empty)).AllComponents());
            var uploadName = $"batch1/{ds.GetSingleValueOrDefault(DicomTag.PatientID, "x")}_{Path.GetFileName(rel)}";
            phi.Add(uploadName);
            await uploads.GetBlobClient(uploadName).UploadAsync(path, TestContext.Current.CancellationToken);
        }

        await uploads.GetBlobClient("batch1/Doe^Jane-truncated.dcm").UploadAsync(Corpus.Get("pydicom/MR_truncated.dcm").FullPath, TestContext.Current.CancellationToken);
        await uploads.GetBlobClient("batch1/Doe^Jane-notes.txt").UploadAsync(BinaryData.FromString("referral letter for Doe^Jane, not DICOM"), TestContext.Current.CancellationToken);
        phi.Add("Doe^Jane");
        var uploaded = Images.Length + 2;

        await host.RunUntilIdleAsync(runGeneration: true, cancellationToken: TestContext.Current.CancellationToken);
        var inv = await StorageInventory.ReadAsync(host.Storage, TestContext.Current.CancellationToken);

        // Every upload has a receipt; MR_small in three syntaxes is one instance, de-identified once.
        Assert.Equal(uploaded, inv.ProcessedUploads + inv.QuarantinedUploads);
        Assert.Equal(Images.Length, inv.ProcessedUploads);
        Assert.Equal(2, inv.Records.Count(r => r.Status == InstanceOutcome.Duplicate));
        Assert.Equal(Images.Length - 2, inv.DeidInstances.Count);
        Assert.Equal(2, inv.Quarantined.Count);
        Assert.Contains(inv.Quarantined, q => q.Code == QuarantineCode.Truncated);
        Assert.Contains(inv.Quarantined, q => q.Code == QuarantineCode.NotDicomOrMalformed);
        Assert.Empty(inv.Uploads);
        Assert.All(inv.DeidSopUids, sop => Assert.True(inv.HasEmbedding(sop), $"{sop} has no embedding"));
        Assert.Equal(inv.DeidInstances.Count, inv.GeneratedRequests.Count);
        Assert.Equal(inv.DeidInstances.Count, inv.GeneratedImages);

        var names = inv.DeidInstances.Concat(inv.Embeddings).Concat(inv.AuditRecords).Concat(inv.GeneratedFiles)
            .Concat(inv.Quarantined.Select(q => q.Input)).ToList();
        foreach (var value in phi.Where(v => v.Length >= 3).Distinct())
        {
            Assert.DoesNotContain(names, n => n.Contains(value, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(value, logger.AllText, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(inv.Quarantined, q => q.Message.Contains(value, StringComparison.OrdinalIgnoreCase));
        }

        Assert.All(inv.DeidInstances, n => Assert.Matches(@"^2\.25\.\d+/2\.25\.\d+/2\.25\.\d+\.dcm$", n));

        // A generated PNG decodes with an independent decoder (Python's zlib) and a de-identified file reads in DCMTK.
        var png = inv.GeneratedFiles.First(f => f.EndsWith("/0.png", StringComparison.Ordinal));
        var local = Path.Combine(Path.GetTempPath(), "smed-e2e-" + Guid.NewGuid().ToString("N") + ".png");
        await host.Storage.Container(storage.Generated).GetBlobClient(png).DownloadToAsync(local, TestContext.Current.CancellationToken);
        var check = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "tests", "tools", "png_check.py"), local]);
        Assert.True(check.ExitCode == 0, check.StdErr + check.StdOut);
        Assert.StartsWith("ok 64x64", check.StdOut, StringComparison.Ordinal);

        var deidLocal = Path.Combine(Path.GetTempPath(), "smed-e2e-" + Guid.NewGuid().ToString("N") + ".dcm");
        await host.Storage.Container(storage.Deid).GetBlobClient(inv.DeidInstances[0]).DownloadToAsync(deidLocal, TestContext.Current.CancellationToken);
        var dump = ExternalTool.Run("dcmdump", ["-q", deidLocal]);
        Assert.Equal(0, dump.ExitCode);
        Assert.Contains("PatientIdentityRemoved", dump.StdOut, StringComparison.Ordinal);
    }
}
