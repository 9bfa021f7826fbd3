using System.CommandLine;
using ServerlessMed.Export;
using ServerlessMed.Pipeline.Storage;

namespace ServerlessMed.Cli.Commands;

/// <summary>smed export: the tenant's embeddings as a Parquet training set with a dataset card, behind the leak gate.</summary>
internal static class ExportCommand
{
    /// <summary>Exit code when the dataset was written without the columns the leak gate withheld.</summary>
    public const int ColumnsWithheld = 3;

    public static Command Create()
    {
        var tenant = new Option<string?>("--tenant") { Description = "tenant whose storage to use: $SMED_STORAGE_{TENANT} (default: $SMED_STORAGE)" };
        var model = new Option<string?>("--model") { Description = "one model (id or folder); default: every model" };
        var output = new Option<DirectoryInfo>("--out") { Description = "output folder (README.md and data/model={model}/*.parquet)", Required = true };
        var connection = StorageCommands.ConnectionOption();
        var keyFile = new Option<string?>("--key-file") { Description = "tenant key file, for the leak gate's fingerprints (default: $SMED_KEY_FILE, else .smed/tenant.key)" };
        var cmd = new Command("export", "Write the tenant's embeddings as a Parquet training set with a dataset card (leak gate first)") { tenant, model, output, connection, keyFile };
        cmd.SetAction(async (parse, ct) =>
        {
            var cs = StorageCommands.Connection(parse, connection, parse.GetValue(tenant));
            if (string.IsNullOrEmpty(cs))
            {
                return CliEnvironment.Fail("export", "no storage: pass --connection-string, --tenant with $SMED_STORAGE_{TENANT}, or set SMED_STORAGE");
            }

            var storage = new TenantStorage(new TenantStorageOptions { ConnectionString = cs });
            ExportResult result;
            try
            {
                result = await new TrainingSetExporter(storage, TenantKeyForExport(parse.GetValue(keyFile))).ExportAsync(new TrainingSetExportOptions
                {
                    OutputFolder = parse.GetValue(output)!.FullName,
                    Model = parse.GetValue(model),
                    Tenant = parse.GetValue(tenant),
                }, ct);
            }
            catch (ExportRefusedException e)
            {
                Console.Error.WriteLine($"smed export: {e.Message}");
                return 1;
            }

            foreach (var p in result.Partitions)
            {
                Console.WriteLine($"{p.Model}: {p.Rows} row(s) from {p.Instances} instance(s), {p.Dimensions}-value embeddings -> {Path.GetRelativePath(Directory.GetCurrentDirectory(), p.Path)}");
            }

            Console.WriteLine($"leak gate: {result.SourceInstances} source instance(s), {result.Fingerprints} identifier fingerprint(s); {(result.Withheld.Count == 0 ? "every text column passed" : $"{result.Withheld.Count} column(s) withheld")}");
            foreach (var w in result.Withheld)
            {
                Console.Error.WriteLine($"smed export: column {w.Column} withheld: {w.Values} value(s) hold identifiers of source instances (first: row of SOP {w.FirstSopUid})");
            }

            Console.WriteLine($"dataset card: {Path.GetRelativePath(Directory.GetCurrentDirectory(), result.CardPath)}");
            return result.Withheld.Count == 0 ? 0 : ColumnsWithheld;
        });
        return cmd;
    }

    /// <summary>The export only checks with the key; it never creates one (a new key would match nothing).</summary>
    private static Deid.TenantKey TenantKeyForExport(string? keyFile) => Deid.TenantKey.LoadOrCreate(keyFile, createIfMissing: false);
}
