using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ServerlessMed.Azurite;
using ServerlessMed.Pipeline;
using ServerlessMed.Pipeline.Storage;
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
                return await RunAsync(host, key, logging.CreateLogger("smed"), files, parse.GetValue(output)!, ct);
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

    private static async Task<int> RunAsync(PipelineHost host, Deid.TenantKey key, Microsoft.Extensions.Logging.ILogger logger, IReadOnlyList<(string Path, string BlobName)> files, DirectoryInfo output, CancellationToken ct)
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

        var inventory = await StorageInventory.ReadAsync(host.Storage, ct);
        // What the pipeline made, used: the training-set export and, for three studies, their nearest neighbours.
        var export = await new Export.TrainingSetExporter(host.Storage, key).ExportAsync(new Export.TrainingSetExportOptions { OutputFolder = Path.Combine(output.FullName, "dataset"), Tenant = "demo" }, ct);
        var similar = await Search.Report.SimilarStudiesReport.WriteAsync(host.Storage, output.FullName, "dataset/README.md", logger, cancellationToken: ct);
        var report = await DemoReport.WriteAsync(host.Storage, inventory, output.FullName, ct, similar);
        Console.WriteLine($"dataset: {export.Rows} row(s), card {Path.GetRelativePath(Directory.GetCurrentDirectory(), export.CardPath)}{(export.Withheld.Count > 0 ? $", {export.Withheld.Count} column(s) withheld by the leak gate" : string.Empty)}");
        var m = host.Metrics;
        var deidCount = inventory.ProcessedUploads;
        var quarantined = inventory.QuarantinedUploads;
        var missing = inventory.DeidSopUids.Where(s => !inventory.HasEmbedding(s)).ToList();
        var generatedRequests = inventory.GeneratedRequests.Count;
        var table = new Table().AddColumn("stage").AddColumn(new TableColumn("count").RightAligned()).AddColumn(new TableColumn("seconds").RightAligned());
        string S(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        table.AddRow("uploaded", files.Count.ToString(CultureInfo.InvariantCulture), S(upload.Elapsed));
        table.AddRow("de-identified", deidCount.ToString(CultureInfo.InvariantCulture), S(m.Time("deid") + m.Time("download")));
        table.AddRow("embedded", inventory.Embeddings.Count.ToString(CultureInfo.InvariantCulture), S(m.Time("encode")));
        table.AddRow("generation requests", m.Get("generation-requests").ToString(CultureInfo.InvariantCulture), S(m.Time("write")));
        table.AddRow("generated images", inventory.GeneratedImages.ToString(CultureInfo.InvariantCulture), S(m.Time("generate") + m.Time("preview") + m.Time("write-generated")));
        table.AddRow("quarantined", quarantined.ToString(CultureInfo.InvariantCulture), string.Empty);
        foreach (var g in inventory.Quarantined.GroupBy(q => $"{q.Stage}: {q.Code}").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape("  " + g.Key), g.Count().ToString(CultureInfo.InvariantCulture), string.Empty);
        }

        table.AddRow("total", string.Empty, S(total.Elapsed));
        if (interactive)
        {
            AnsiConsole.Write(table);
        }
        else
        {
            PrintPlain(files.Count, deidCount, inventory, m, quarantined, upload.Elapsed, total.Elapsed);
        }

        Console.WriteLine($"report: {report}");
        var accounted = files.Count == deidCount + quarantined;
        var ok = accounted && missing.Count == 0 && generatedRequests == inventory.Embeddings.Count && inventory.Uploads.Count == 0;
        if (inventory.DeidInstances.Count != deidCount)
        {
            Console.WriteLine($"({deidCount - inventory.DeidInstances.Count} upload(s) were instances already de-identified: same SOP Instance UID)");
        }

        if (!ok)
        {
            Console.Error.WriteLine($"smed demo: not every upload is accounted for: uploaded {files.Count}, de-identified {deidCount}, quarantined {quarantined}, without embedding {missing.Count}, generated requests {generatedRequests}/{inventory.Embeddings.Count}, uploads left {inventory.Uploads.Count}");
            return 1;
        }

        return 0;
    }

    private static void PrintPlain(int uploaded, int deid, StorageInventory inv, Pipeline.Stages.StageMetrics m, int quarantined, TimeSpan upload, TimeSpan total)
    {
        string S(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine("stage                                      count   seconds");
        void Row(string name, object count, string secs) => sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-40}{count,7}{secs,10}");
        Row("uploaded", uploaded, S(upload));
        Row("de-identified", deid, S(m.Time("deid") + m.Time("download")));
        Row("embedded", inv.Embeddings.Count, S(m.Time("encode")));
        Row("generation requests", m.Get("generation-requests"), S(m.Time("write")));
        Row("generated images", inv.GeneratedImages, S(m.Time("generate") + m.Time("preview") + m.Time("write-generated")));
        Row("quarantined", quarantined, string.Empty);
        foreach (var g in inv.Quarantined.GroupBy(q => $"{q.Stage}: {q.Code}").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            Row("  " + g.Key, g.Count(), string.Empty);
        }

        Row("total", string.Empty, S(total));
        Console.Write(sb.ToString());
    }
}

/// <summary>out/demo/index.html: each request's de-identified source preview next to its generated images.</summary>
internal static class DemoReport
{
    public static async Task<string> WriteAsync(TenantStorage storage, StorageInventory inventory, string folder, CancellationToken ct, string? extraHtml = null)
    {
        Directory.CreateDirectory(folder);
        var images = Path.Combine(folder, "images");
        if (Directory.Exists(images))
        {
            Directory.Delete(images, recursive: true);
        }

        Directory.CreateDirectory(images);
        var html = new StringBuilder();
        html.AppendLine("<!doctype html><html><head><meta charset=\"utf-8\"><title>ServerlessMed demo</title>");
        html.AppendLine("<style>body{font-family:sans-serif;background:#111;color:#eee}figure{display:inline-block;margin:6px;text-align:center}img{width:192px;height:192px;object-fit:contain;background:#000;image-rendering:pixelated}.row{border-bottom:1px solid #333;padding:8px}.q{color:#f88}</style></head><body>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<h1>ServerlessMed demo</h1><p>{inventory.DeidInstances.Count} de-identified, {inventory.Embeddings.Count} embedded, {inventory.GeneratedImages} generated, {inventory.Quarantined.Count} quarantined.</p>");
        var container = storage.Container(storage.Options.Generated);
        var i = 0;
        foreach (var request in inventory.GeneratedRequests.Order(StringComparer.Ordinal))
        {
            html.AppendLine("<div class=\"row\">");
            foreach (var file in inventory.GeneratedFiles.Where(f => f.StartsWith(request + "/", StringComparison.Ordinal) && f.EndsWith(".png", StringComparison.Ordinal)).OrderBy(f => f.EndsWith("source.png", StringComparison.Ordinal) ? 0 : 1).ThenBy(f => f, StringComparer.Ordinal))
            {
                var local = $"{i++:D4}-{Path.GetFileName(file)}";
                await container.GetBlobClient(file).DownloadToAsync(Path.Combine(images, local), ct);
                var label = file.EndsWith("source.png", StringComparison.Ordinal) ? "de-identified source" : "generated " + Path.GetFileNameWithoutExtension(file);
                html.AppendLine(CultureInfo.InvariantCulture, $"<figure><img src=\"images/{local}\" alt=\"{label}\"><figcaption>{label}</figcaption></figure>");
            }

            html.AppendLine(CultureInfo.InvariantCulture, $"<div><small>{WebUtility.HtmlEncode(request)}</small></div></div>");
        }

        if (inventory.Quarantined.Count > 0)
        {
            html.AppendLine("<h2>Quarantined</h2><ul>");
            foreach (var q in inventory.Quarantined)
            {
                html.AppendLine(CultureInfo.InvariantCulture, $"<li class=\"q\">{q.Id}: {q.Stage} / {q.Code}: {WebUtility.HtmlEncode(q.Message)}</li>");
            }

            html.AppendLine("</ul>");
        }

        html.AppendLine(extraHtml);
        html.AppendLine("</body></html>");
        var path = Path.Combine(folder, "index.html");
        await File.WriteAllTextAsync(path, html.ToString(), ct);
        return path;
    }
}
