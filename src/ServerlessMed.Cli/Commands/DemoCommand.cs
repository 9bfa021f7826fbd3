using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ServerlessMed.Azurite;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
using ServerlessMed.Workflow.Outcomes;
using Spectre.Console;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed demo: the whole product locally on Azurite, from upload to generated images, with a report.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var input = new Option<DirectoryInfo?>("--input") { Description = "folder of DICOM files (or zips) to upload (default: a sample of ../shared/corpus)" };
        var sample = new Option<int>("--sample") { Description = "how many corpus images in the default sample", DefaultValueFactory = _ => 16 };
        var connection = new Option<string?>("--connection-string") { Description = "storage connection string (default: $SMED_STORAGE, else a private Azurite started from node_modules)" };
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file, which must exist (default: $SMED_KEY_FILE, which must exist too, else .smed/tenant.key, created if missing)" };
        var policy = new Option<string?>("--policy") { Description = "tenant policy JSON (see policy/schema.json)" };
        var models = new Option<string?>("--models") { Description = "models folder (default: $SMED_MODELS, else models/ from scripts/make-test-models.py)" };
        var output = new Option<DirectoryInfo>("--output") { Description = "where the report goes", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "demo")) };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "log each instance" };
        var cmd = new Command("demo", "Run the whole pipeline locally on Azurite: upload, de-identify, embed, generate, and report") { input, sample, connection, keyFile, policy, models, output, verbose };
        cmd.SetAction(async (parse, ct) =>
        {
            var inputDir = parse.GetValue(input);
            if (inputDir is not null && !inputDir.Exists)
            {
                return CliEnvironment.Fail("demo", $"input folder '{inputDir.FullName}' does not exist");
            }

            var modelsRoot = CliEnvironment.ModelsRoot(parse.GetValue(models));
            var encoderDir = Path.Combine(modelsRoot, "encoders", "tiny-gray");
            var diffusionDir = Path.Combine(modelsRoot, "diffusion", "tiny-sd");
            if (!File.Exists(Path.Combine(encoderDir, "model.json")) || !File.Exists(Path.Combine(diffusionDir, "model_index.json")))
            {
                return CliEnvironment.Fail("demo", $"models not found under {modelsRoot}: run `/usr/bin/python3 scripts/make-test-models.py` (scripts/demo.sh does)");
            }

            IReadOnlyList<(string Path, string BlobName)> files;
            try
            {
                files = inputDir is not null ? DemoSample.FromFolder(inputDir.FullName)
                    : DemoSample.FromCorpus(Path.Combine(CliEnvironment.RepoRoot(), "..", "shared", "corpus"), parse.GetValue(sample));
            }
            catch (DirectoryNotFoundException e)
            {
                return CliEnvironment.Fail("demo", e.Message);
            }

            AzuriteLauncher? azurite = null;
            var connectionString = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable("SMED_STORAGE");
            try
            {
                if (string.IsNullOrEmpty(connectionString))
                {
                    try
                    {
                        azurite = await AzuriteLauncher.StartAsync(CliEnvironment.RepoRoot(), cancellationToken: ct);
                    }
                    catch (AzuriteException e)
                    {
                        return CliEnvironment.Fail("demo", e.Message);
                    }

                    connectionString = azurite.ConnectionString;
                    Console.Error.WriteLine($"smed demo: Azurite started on 127.0.0.1 (blob {azurite.BlobPort}, queue {azurite.QueuePort})");
                }

                using var logging = CliEnvironment.Logging(parse.GetValue(verbose));
                // The same settings, registrations and runtimes as the Functions app and the GPU worker; the test
                // models are published to Azurite's models container and loaded from there, as a tenant's would be.
                var keyPath = CliEnvironment.KeyPath(parse.GetValue(keyFile));
                var key = Deid.TenantKey.FromFile(keyPath);
                using var host = await LocalPipeline.StartAsync(connectionString, keyPath, parse.GetValue(policy), modelsRoot, generation: true, processing: null, logging, ct);
                return await RunAsync(host, key, logging.CreateLogger("smed"), files, modelsRoot, parse.GetValue(output)!, ct);
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or Deid.DeidPolicyException or InvalidDataException or FileNotFoundException)
            {
                return CliEnvironment.Fail("demo", e.Message.Split('\n')[0]);
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException e)
            {
                return CliEnvironment.Fail("demo", string.Join("; ", e.Failures));
            }
            finally
            {
                if (azurite is not null)
                {
                    await azurite.DisposeAsync();
                }
            }
        });
        return cmd;
    }

    private static async Task<int> RunAsync(PipelineHost host, Deid.TenantKey key, Microsoft.Extensions.Logging.ILogger logger, IReadOnlyList<(string Path, string BlobName)> files, string modelsRoot, DirectoryInfo output, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        await host.Storage.EnsureCreatedAsync(ct);
        var batch = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var upload = Stopwatch.StartNew();
        var uploads = host.Storage.Container(host.Storage.Options.Uploads);
        foreach (var (path, name) in files)
        {
            await using var stream = File.OpenRead(path);
            await uploads.GetBlobClient($"{batch}/{name}").UploadAsync(stream, overwrite: true, ct);
        }

        upload.Stop();
        var processing = Stopwatch.StartNew();
        var interactive = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (interactive)
        {
            await AnsiConsole.Status().StartAsync("processing", async ctx =>
                await host.RunUntilIdleAsync(true, new Progress<string>(s => ctx.Status(Markup.Escape(s))), ct));
        }
        else
        {
            Console.WriteLine($"uploaded {files.Count} file(s); processing…");
            await host.RunUntilIdleAsync(true, new Progress<string>(Console.WriteLine), ct);
        }

        processing.Stop();
        var inventory = await StorageInventory.ReadAsync(host.Storage, ct);
        // What the pipeline made, used: the training-set export and, for three studies, their nearest neighbours.
        var export = await new Export.TrainingSetExporter(host.Storage, key).ExportAsync(new Export.TrainingSetExportOptions { OutputFolder = Path.Combine(output.FullName, "dataset"), Tenant = "demo" }, ct);
        var similar = await Search.Report.SimilarStudiesReport.WriteAsync(host.Storage, output.FullName, "dataset/README.md", logger, cancellationToken: ct);
        var summary = await DemoSummary.ReadAsync(host, inventory, [.. files.Select(f => f.Path)], modelsRoot, upload.Elapsed, processing.Elapsed, total.Elapsed, ct);
        var report = await DemoReport.WriteAsync(host.Storage, inventory, summary, output.FullName, ct, similar);
        Console.WriteLine($"dataset: {export.Rows} row(s), card {Path.GetRelativePath(Directory.GetCurrentDirectory(), export.CardPath)}{(export.Withheld.Count > 0 ? $", {export.Withheld.Count} column(s) withheld by the leak gate" : string.Empty)}");
        if (interactive)
        {
            AnsiConsole.Write(Table(summary));
        }
        else
        {
            Console.Write(Plain(summary));
        }

        foreach (var q in summary.QuarantineEntries)
        {
            Console.WriteLine($"quarantined: {(q.UploadNumbers.Count > 0 ? "upload " + string.Join(", ", q.UploadNumbers.Select(n => "#" + n.ToString(CultureInfo.InvariantCulture))) : "a zip entry")}, sha256 {q.Sha256 ?? "unknown"}: {q.Stage}: {q.Code}");
        }

        if (summary.TestModels)
        {
            Console.WriteLine("models: the built-in test models; their 64x64 images are test output, not a real model's");
        }

        Console.WriteLine($"report: {report}");
        if (summary.Problems.Count > 0)
        {
            Console.Error.WriteLine($"smed demo: not every upload is accounted for: {string.Join("; ", summary.Problems)}");
            return 1;
        }

        return 0;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);

    private static Table Table(DemoSummary s)
    {
        var table = new Table().AddColumn("count").AddColumn(new TableColumn(string.Empty).RightAligned());
        foreach (var c in s.Counts)
        {
            table.AddRow(Markup.Escape(new string(' ', 2 * c.Depth) + c.Label), c.Value.ToString(CultureInfo.InvariantCulture));
        }

        table.AddRow("[grey]busy time, overlapping (s)[/]", string.Empty);
        foreach (var (stage, busy) in s.BusyTimes)
        {
            table.AddRow(Markup.Escape("  " + stage), Seconds(busy));
        }

        table.AddRow("wall clock: upload / processing / total (s)", $"{Seconds(s.UploadWall)} / {Seconds(s.ProcessingWall)} / {Seconds(s.TotalWall)}");
        return table;
    }

    /// <summary>The same rows as the page's counts table, one "label  value" line each (what the test reads).</summary>
    private static string Plain(DemoSummary s)
    {
        var sb = new StringBuilder();
        sb.AppendLine("count                                                  value");
        foreach (var c in s.Counts)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{new string(' ', 2 * c.Depth) + c.Label,-50}{c.Value,10}");
        }

        sb.AppendLine("busy time, overlapping (summed over concurrent instances; not parts of the total)");
        foreach (var (stage, busy) in s.BusyTimes)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"  " + stage,-50}{Seconds(busy),10}");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"{"wall clock: upload",-50}{Seconds(s.UploadWall),10}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"wall clock: processing",-50}{Seconds(s.ProcessingWall),10}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"wall clock: total",-50}{Seconds(s.TotalWall),10}");
        return sb.ToString();
    }
}
