using System.CommandLine;
using System.Globalization;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed upload / status / run: the storage-facing commands against a tenant's account.</summary>
internal static class StorageCommands
{
    private static Option<string?> ConnectionOption() => new("--connection-string") { Description = "storage connection string (default: $SMED_STORAGE)" };

    private static string? Connection(ParseResult parse, Option<string?> option) => parse.GetValue(option) ?? Environment.GetEnvironmentVariable("SMED_STORAGE");

    public static Command Upload()
    {
        var input = new Argument<DirectoryInfo>("dir") { Description = "folder whose files are uploaded to uploads/{batch}/" };
        var connection = ConnectionOption();
        var cmd = new Command("upload", "Upload a folder of DICOM files to the tenant's uploads container") { input, connection };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = Connection(parse, connection);
            var dir = parse.GetValue(input)!;
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("upload", "no storage: pass --connection-string or set SMED_STORAGE");
            }

            if (!dir.Exists)
            {
                return CliEnvironment.Fail("upload", $"folder '{dir.FullName}' does not exist");
            }

            var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = cs });
            await storage.EnsureCreatedAsync(ct);
            var batch = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            var files = DemoSample.FromFolder(dir.FullName);
            foreach (var (path, name) in files)
            {
                await using var s = File.OpenRead(path);
                await storage.Container(storage.Options.Uploads).GetBlobClient($"{batch}/{name}").UploadAsync(s, overwrite: true, ct);
            }

            Console.WriteLine($"uploaded {files.Count} file(s) to uploads/{batch}/");
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
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file (default: $SMED_KEY_FILE, else .smed/tenant.key)" };
        var policy = new Option<string?>("--policy") { Description = "tenant policy JSON" };
        var models = new Option<string?>("--models") { Description = "models folder (default: $SMED_MODELS, else models/)" };
        var once = new Option<bool>("--once") { Description = "stop when idle instead of polling forever" };
        var noGeneration = new Option<bool>("--no-generation") { Description = "run ingest only (the GPU worker runs generation)" };
        var lease = new Option<int>("--lease") { Description = "message lease in seconds (a crashed runner's messages come back after this)", DefaultValueFactory = _ => 60 };
        var cmd = new Command("run", "Run the local event source and the pipeline stages against a storage account") { connection, keyFile, policy, models, once, noGeneration, lease };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = Connection(parse, connection);
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("run", "no storage: pass --connection-string or set SMED_STORAGE");
            }

            var root = CliEnvironment.ModelsRoot(parse.GetValue(models));
            using var logging = CliEnvironment.Logging(verbose: true);
            // Azure Monitor when APPLICATIONINSIGHTS_CONNECTION_STRING is set; console spans only with SMED_TELEMETRY=console.
            using var telemetry = Pipeline.Telemetry.TelemetryExport.Start("smed-run", console: Environment.GetEnvironmentVariable("SMED_TELEMETRY") == "console");
            using var host = PipelineHost.Create(new PipelineHostOptions
            {
                Storage = new TenantStorageOptions { ConnectionString = cs, Lease = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(lease))) },
                Key = CliEnvironment.Key(parse.GetValue(keyFile)),
                Policy = CliEnvironment.Policy(parse.GetValue(policy)),
                EncoderFolder = Path.Combine(root, "encoders", "tiny-gray"),
                DiffusionFolder = parse.GetValue(noGeneration) ? null : Path.Combine(root, "diffusion", "tiny-sd"),
            }, logging.CreateLogger("smed.run"));
            // A storage outage (account restarting, network) is waited out with back-off instead of ending the run.
            var retry = Resilience.Storage(logging.CreateLogger("smed.run"));
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
