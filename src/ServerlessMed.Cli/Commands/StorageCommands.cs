using System.CommandLine;
using System.Globalization;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed upload / status / run: the storage-facing commands against a tenant's account.</summary>
internal static class StorageCommands
{
    internal static Option<string?> ConnectionOption() => new("--connection-string") { Description = "storage connection string (default: $SMED_STORAGE)" };

    private static string? Connection(ParseResult parse, Option<string?> option) => parse.GetValue(option) ?? Environment.GetEnvironmentVariable("SMED_STORAGE");

    /// <summary>The tenant's storage: --connection-string, else $SMED_STORAGE_{TENANT} for --tenant, else $SMED_STORAGE.</summary>
    internal static string? Connection(ParseResult parse, Option<string?> option, string? tenant) =>
        parse.GetValue(option)
        ?? (tenant is { Length: > 0 } t ? Environment.GetEnvironmentVariable("SMED_STORAGE_" + t.ToUpperInvariant().Replace('-', '_')) : null)
        ?? Environment.GetEnvironmentVariable("SMED_STORAGE");

    public static Command Upload()
    {
        var input = new Argument<string>("path") { Description = "a file (DICOM or .zip) or a folder, uploaded to uploads/{batch}/" };
        var connection = ConnectionOption();
        var tenant = new Option<string?>("--tenant") { Description = "tenant whose storage to use: $SMED_STORAGE_{TENANT} (default: $SMED_STORAGE)" };
        var parallel = new Option<int>("--parallel") { Description = "files uploaded at once", DefaultValueFactory = _ => 8 };
        var cmd = new Command("upload", "Upload DICOM files, zips or folders to the tenant's uploads container (parallel block uploads)") { input, connection, tenant, parallel };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = Connection(parse, connection, parse.GetValue(tenant));
            var path = parse.GetValue(input)!;
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("upload", "no storage: pass --connection-string, --tenant with $SMED_STORAGE_{TENANT}, or set SMED_STORAGE");
            }

            IReadOnlyList<(string Path, string BlobName)> files = File.Exists(path)
                ? [(path, Path.GetFileName(path))]
                : Directory.Exists(path) ? DemoSample.FromFolder(path) : [];
            if (files.Count == 0)
            {
                return CliEnvironment.Fail("upload", $"'{path}' is not a file or a folder with files");
            }

            var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = cs });
            await storage.EnsureCreatedAsync(ct);
            var batch = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            var total = files.Sum(f => new FileInfo(f.Path).Length);
            long done = 0, sent = 0;
            var lastReport = 0L;
            var transfer = new Azure.Storage.StorageTransferOptions { MaximumConcurrency = 4, InitialTransferSize = 4 << 20, MaximumTransferSize = 4 << 20 };
            await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parse.GetValue(parallel)), CancellationToken = ct }, async (f, t) =>
            {
                await using var s = File.OpenRead(f.Path);
                // Large files go up as 4 MiB blocks, several at a time, committed once: a partial upload is never visible.
                await storage.Container(storage.Options.Uploads).GetBlobClient($"{batch}/{f.BlobName}").UploadAsync(s, new Azure.Storage.Blobs.Models.BlobUploadOptions { TransferOptions = transfer }, t);
                var bytes = Interlocked.Add(ref done, s.Length);
                var n = Interlocked.Increment(ref sent);
                if (n == files.Count || bytes - Interlocked.Read(ref lastReport) >= total / 10)
                {
                    Interlocked.Exchange(ref lastReport, bytes);
                    Console.Error.WriteLine($"smed upload: {n}/{files.Count} files, {bytes / 1e6:0.0}/{total / 1e6:0.0} MB");
                }
            });

            Console.WriteLine($"uploaded {files.Count} file(s), {total / 1e6:0.0} MB, to uploads/{batch}/");
            return 0;
        });
        return cmd;
    }

    public static Command Status()
    {
        var connection = ConnectionOption();
        var cmd = new Command("status", "Count what is in the tenant's containers and queues") { connection };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = Connection(parse, connection);
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("status", "no storage: pass --connection-string or set SMED_STORAGE");
            }

            var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = cs });
            var inv = await StorageInventory.ReadAsync(storage, ct);
            Console.WriteLine($"uploads waiting      {inv.Uploads.Count}");
            DateTimeOffset? oldest = null;
            await foreach (var blob in storage.Container(storage.Options.Uploads).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, ct))
            {
                if (blob.Properties.LastModified is { } m && (oldest is null || m < oldest))
                {
                    oldest = m;
                }
            }

            Console.WriteLine(oldest is { } o ? $"oldest waiting       {(DateTimeOffset.UtcNow - o).TotalSeconds:0} s ({o:u})" : "oldest waiting       -");
            Console.WriteLine($"de-identified        {inv.DeidInstances.Count}");
            Console.WriteLine($"embeddings           {inv.Embeddings.Count}");
            Console.WriteLine($"generated images     {inv.GeneratedImages}");
            Console.WriteLine($"quarantined          {inv.Quarantined.Count}");
            foreach (var q in storage.Options.Queues)
            {
                var props = await storage.Queue(q).GetPropertiesAsync(ct);
                Console.WriteLine($"queue {q,-22}{props.Value.ApproximateMessagesCount}");
            }

            return 0;
        });
        return cmd;
    }

    public static Command Run()
    {
        var connection = ConnectionOption();
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file, which must exist (default: $SMED_KEY_FILE, which must exist too, else .smed/tenant.key, created if missing)" };
        var policy = new Option<string?>("--policy") { Description = "tenant policy JSON" };
        var models = new Option<string?>("--models") { Description = "test models folder, published to the models container when $SMED_ENCODER_MODEL_ID / $SMED_DIFFUSION_MODEL_ID are not set (default: $SMED_MODELS, else models/)" };
        var once = new Option<bool>("--once") { Description = "stop when idle instead of polling forever" };
        var noGeneration = new Option<bool>("--no-generation") { Description = "run ingest only (the GPU worker runs generation)" };
        var lease = new Option<int>("--lease") { Description = "message lease in seconds (a crashed runner's messages come back after this)", DefaultValueFactory = _ => 60 };
        var cmd = new Command("run", "Run the local event source and the pipeline stages against a storage account") { connection, keyFile, policy, models, once, noGeneration, lease };
        cmd.SetAction(async (parse, ct) =>
        {
            // --connection-string or $SMED_STORAGE; else the hosts' own settings (TenantStorage, or
            // TenantStorage__blobServiceUri/__queueServiceUri with your Azure login), read by LocalPipeline.
            var cs = Connection(parse, connection) is { Length: > 0 } c ? c : null;
            if (cs is null && Environment.GetEnvironmentVariable("TenantStorage") is not { Length: > 0 } && Environment.GetEnvironmentVariable("TenantStorage__blobServiceUri") is not { Length: > 0 })
            {
                return CliEnvironment.Fail("run", "no storage: pass --connection-string, or set SMED_STORAGE, TenantStorage or TenantStorage__blobServiceUri");
            }

            var root = CliEnvironment.ModelsRoot(parse.GetValue(models));
            using var logging = CliEnvironment.Logging(verbose: true);
            // Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set; console spans only with SMED_TELEMETRY=console.
            using var telemetry = Pipeline.Telemetry.TelemetryExport.Start("smed-run", console: Environment.GetEnvironmentVariable("SMED_TELEMETRY") == "console");
            var processing = new TenantStorageOptions { Lease = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(lease))) };
            // A storage outage (account restarting, network) is waited out with back-off instead of ending the run.
            var retry = Resilience.Storage(logging.CreateLogger("smed.run"));
            var key = CliEnvironment.KeyPath(parse.GetValue(keyFile));
            using var host = await retry.ExecuteAsync(async t => await LocalPipeline.StartAsync(cs, key, parse.GetValue(policy), root, !parse.GetValue(noGeneration), processing, logging, t), ct);
            await retry.ExecuteAsync(async t => await host.Storage.EnsureCreatedAsync(t), ct);
            do
            {
                await retry.ExecuteAsync(async t => await host.RunUntilIdleAsync(!parse.GetValue(noGeneration), null, t), ct);
                if (!parse.GetValue(once))
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), ct);
                }
            }
            while (!parse.GetValue(once) && !ct.IsCancellationRequested);

            return 0;
        });
        return cmd;
    }
}
