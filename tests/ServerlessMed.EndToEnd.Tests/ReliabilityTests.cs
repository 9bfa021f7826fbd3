using System.Diagnostics;
using ServerlessMed.Azurite;
using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Messaging;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Testing;

namespace ServerlessMed.EndToEnd.Tests;

/// <summary>Nothing lost under faults, on a real Azurite: every upload ends de-identified or quarantined, outputs
/// are not duplicated, and no raw upload is left behind.</summary>
public sealed class ReliabilityTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Sources = ["pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/emri_small.dcm", "pydicom/SC_rgb_small_odd.dcm"];

    /// <summary>Corpus images re-stamped with fresh SOP (and per-10 series) UIDs, uploaded under PHI-looking names.</summary>
    internal static async Task<int> UploadRestampedAsync(TenantStorage storage, int count, string prefix, CancellationToken ct)
    {
        var uploads = storage.Container(storage.Options.Uploads);
        var random = new Random(count);
        var templates = Sources.Select(s => File.ReadAllBytes(Corpus.Get(s).FullPath)).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, t) =>
        {
            var file = DicomFile.Open(new MemoryStream(templates[i % templates.Count]));
            file.Dataset.AddOrUpdate(DicomTag.SOPInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.9.7433.1.{prefix.Length}.{count}.{i}");
            file.Dataset.AddOrUpdate(DicomTag.SeriesInstanceUID, DicomVR.UI, $"1.2.826.0.1.3680043.9.7433.2.{count}.{i / 10}");
            file.Dataset.AddOrUpdate(DicomTag.PatientName, DicomVR.PN, $"Doe^Jane{i % 7}");
            var ms = new MemoryStream();
            file.Save(ms);
            ms.Position = 0;
            await uploads.GetBlobClient($"{prefix}/Doe^Jane{i % 7}_{i}.dcm").UploadAsync(ms, t);
        });
        _ = random;
        return count;
    }

    internal static async Task AssertAccountedAsync(TenantStorage storage, int uploaded, int expectedDeid)
    {
        var inv = await StorageInventory.ReadAsync(storage, Ct);
        Assert.Equal(uploaded, inv.ProcessedUploads + inv.QuarantinedUploads);
        Assert.Equal(uploaded, inv.Records.Count);
        Assert.Equal(expectedDeid, inv.DeidInstances.Count);
        Assert.Equal(inv.DeidInstances.Count, inv.DeidInstances.Distinct().Count());
        Assert.All(inv.DeidSopUids, sop => Assert.True(inv.HasEmbedding(sop), $"{sop} has no embedding"));
        Assert.Empty(inv.Uploads);
    }

    private static readonly System.Text.StringBuilder RunnerErrors = new();

    private static Process StartRunner(string connectionString, string keyFile)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        Smed.Run(["--help"]); // builds smed when it is missing
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(Corpus.RepoRoot, "src", "ServerlessMed.Cli", "bin", configuration, "net10.0", "smed.dll"), "run", "--once", "--no-generation", "--connection-string", connectionString, "--key-file", keyFile, "--models", TestModels.Folder, "--lease", "5" })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            lock (RunnerErrors)
            {
                RunnerErrors.AppendLine(e.Data);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [Fact]
    public async Task A_runner_killed_at_random_points_and_restarted_loses_and_duplicates_nothing()
    {
        var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = azurite.ConnectionString });
        await storage.EnsureCreatedAsync(Ct);
        var uploaded = await UploadRestampedAsync(storage, 200, "kill", Ct);
        var keyFile = Path.Combine(Path.GetTempPath(), $"smed-kill-{Guid.NewGuid():N}.key");
        File.WriteAllText(keyFile, new string('b', 64));

        // Kill -9 three times at random moments (seeded, so a failure reproduces), then let a runner finish.
        var random = new Random(20261123);
        for (var k = 0; k < 3; k++)
        {
            using var runner = StartRunner(azurite.ConnectionString, keyFile);
            await Task.Delay(random.Next(1500, 4000), Ct);
            runner.Kill(entireProcessTree: true);
            await runner.WaitForExitAsync(Ct);
        }

        using (var last = StartRunner(azurite.ConnectionString, keyFile))
        {
            await last.WaitForExitAsync(Ct);
            Assert.True(last.ExitCode == 0, RunnerErrors.ToString()[^Math.Min(3000, RunnerErrors.Length)..]);
        }

        await AssertAccountedAsync(storage, uploaded, uploaded);
    }

    [Fact]
    public async Task Every_event_delivered_twice_and_a_poison_message_change_nothing_but_the_poison_queue()
    {
        var options = PrefixedStorage.Options(azurite.ConnectionString, "dup-", maxDeliveryCount: 2);
        var logger = new CapturingLogger();
        using var host = PipelineHost.Create(new PipelineHostOptions { Storage = options, Key = new TenantKey(new byte[32]), EncoderFolder = TestModels.Encoder }, logger);
        await host.Storage.EnsureCreatedAsync(Ct);
        var uploaded = await UploadRestampedAsync(host.Storage, 30, "dup", Ct);

        // Announce every upload twice (an at-least-once event source), plus a message that is not an event and an
        // event for a blob that never existed.
        await host.EventSource.PollAsync(Ct);
        await host.Storage.Container(options.Audit).GetBlobClient(Pipeline.Events.LocalEventSource.CheckpointBlob).DeleteAsync(cancellationToken: Ct);
        await host.EventSource.PollAsync(Ct);
        Assert.Equal(60, await host.IngestQueue.CountAsync(Ct));
        await host.IngestQueue.SendAsync("{\"not\": \"an event\"", Ct);
        await host.IngestQueue.SendAsync(Pipeline.Messaging.BlobCreatedEvent.For(options.Uploads, "never/was.dcm", new Uri("http://127.0.0.1/x"), 10, "0x1").ToJson(), Ct);

        await host.RunUntilIdleAsync(runGeneration: false, cancellationToken: Ct);

        await AssertAccountedAsync(host.Storage, uploaded, uploaded);
        var poison = host.Storage.Queue(options.IngestQueue + "-poison");
        Assert.Equal(1, (await poison.GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount);
        Assert.Equal(0, await host.IngestQueue.CountAsync(Ct));
        Assert.DoesNotContain("Doe^Jane", logger.AllText, StringComparison.Ordinal);
    }
}

/// <summary>Azurite stopped and started again while a runner works: the runner waits the outage out.</summary>
public sealed class StorageOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_storage_restart_mid_run_is_waited_out_and_nothing_is_lost()
    {
        var location = Directory.CreateTempSubdirectory("smed-azurite-data").FullName;
        var first = await AzuriteLauncher.StartAsync(Corpus.RepoRoot, new AzuriteStartOptions(location));
        var ports = new AzuriteStartOptions(location, first.BlobPort, first.QueuePort);
        var connection = first.ConnectionString;
        AzuriteLauncher? second = null;
        try
        {
            var logger = new CapturingLogger();
            using var host = PipelineHost.Create(new PipelineHostOptions { Storage = new TenantStorageOptions { ConnectionString = connection, Lease = TimeSpan.FromSeconds(5) }, Key = new TenantKey(new byte[32]), EncoderFolder = TestModels.Encoder }, logger);
            await host.Storage.EnsureCreatedAsync(Ct);
            var uploaded = await ReliabilityTests.UploadRestampedAsync(host.Storage, 150, "outage", Ct);

            var retry = Resilience.Storage(logger);
            var run = Task.Run(() => retry.ExecuteAsync(async t => await host.RunUntilIdleAsync(false, null, t), Ct).AsTask(), Ct);
            // Stop the storage once the run is under way (its first instance is done).
            while (!logger.AllText.Contains("de-identified instance", StringComparison.Ordinal) && !run.IsCompleted)
            {
                await Task.Delay(20, Ct);
            }

            await first.StopAsync();
            // Longer than the Azure SDK's own request retries (~6 s), so the run itself has to wait it out.
            await Task.Delay(8000, Ct);
            second = await AzuriteLauncher.StartAsync(Corpus.RepoRoot, ports);
            await run;

            Assert.True(logger.AllText.Contains("storage unavailable", StringComparison.Ordinal), string.Join('\n', logger.AllText.Split('\n').Where(l => !l.Contains("Information", StringComparison.Ordinal)).TakeLast(30)) + $"\nstopped-exited={first.HasExited}");
            // A message leased before the outage comes back when its lease ends: run again until idle.
            await host.RunUntilIdleAsync(false, null, Ct);
            await ReliabilityTests.AssertAccountedAsync(host.Storage, uploaded, uploaded);
        }
        finally
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }
}
