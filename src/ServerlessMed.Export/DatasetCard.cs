using System.Globalization;
using System.Reflection;
using System.Text;
using ServerlessMed.Deid;
using ServerlessMed.Export.Dataset;
using ServerlessMed.Export.Parquet;

namespace ServerlessMed.Export;

/// <summary>README.md of an exported dataset, in the Hugging Face dataset-card form (YAML front matter naming one
/// configuration per model and its Parquet files, then Markdown): counts per modality, the de-identification profile
/// and options the instances went through, the columns, the leak gate's result, and the tool version.</summary>
public static class DatasetCard
{
    public static string ToolVersion =>
        typeof(DatasetCard).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static string Render(ExportResult result, IReadOnlyList<ExportRow> rows, IReadOnlyList<DeidAuditRecord> audits, TrainingSetExportOptions options, IReadOnlyList<ExportColumn> columns)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("---");
        sb.AppendLine("license: other");
        sb.AppendLine(inv, $"pretty_name: ServerlessMed embeddings{(options.Tenant is { Length: > 0 } t ? $" ({t})" : string.Empty)}");
        sb.AppendLine("task_categories:");
        sb.AppendLine("- feature-extraction");
        sb.AppendLine("tags:");
        sb.AppendLine("- medical-imaging");
        sb.AppendLine("- dicom");
        sb.AppendLine("- embeddings");
        sb.AppendLine("- de-identified");
        sb.AppendLine("configs:");
        foreach (var (p, i) in result.Partitions.Select((p, i) => (p, i)))
        {
            sb.AppendLine(inv, $"- config_name: {p.Model}");
            sb.AppendLine(inv, $"  data_files: data/model={p.Model}/*.parquet");
            if (i == 0)
            {
                sb.AppendLine("  default: true");
            }
        }

        sb.AppendLine("---");
        sb.AppendLine();
        sb.AppendLine("# ServerlessMed training set");
        sb.AppendLine();
        sb.AppendLine(inv, $"Embeddings of de-identified DICOM instances, one row per frame, with their de-identified attributes and the synthetic images generated from their studies. Exported by ServerlessMed {ToolVersion} (`smed export`) on {DateTimeOffset.UtcNow:yyyy-MM-dd}. Every value comes from the tenant's de-identified storage; no original identifier was read to make it.");
        sb.AppendLine();
        sb.AppendLine("| model | rows (frames) | instances | studies | embedding | file |");
        sb.AppendLine("| --- | ---: | ---: | ---: | --- | --- |");
        foreach (var p in result.Partitions)
        {
            var studies = rows.Where(r => r.ModelId == p.Model).Select(r => r.StudyUid).Distinct(StringComparer.Ordinal).Count();
            sb.AppendLine(inv, $"| {p.Model} | {p.Rows} | {p.Instances} | {studies} | {p.Dimensions} × float32 | `data/model={p.Model}/{Path.GetFileName(p.Path)}` |");
        }

        sb.AppendLine();
        sb.AppendLine("## Counts per modality");
        sb.AppendLine();
        sb.AppendLine("| modality | rows | instances | studies |");
        sb.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var g in rows.GroupBy(r => r.Modality.Length == 0 ? "(none)" : r.Modality, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.AppendLine(inv, $"| {g.Key} | {g.Count()} | {g.Select(r => r.SopUid).Distinct(StringComparer.Ordinal).Count()} | {g.Select(r => r.StudyUid).Distinct(StringComparer.Ordinal).Count()} |");
        }

        sb.AppendLine();
        sb.AppendLine("## De-identification");
        sb.AppendLine();
        sb.AppendLine("Every instance was de-identified by ServerlessMed at ingest (DICOM PS3.15 Annex E) with keyed, consistent replacement UIDs (`2.25.` + HMAC-SHA256 of the original under the tenant's key) before it was encoded. From the instances' audit records:");
        sb.AppendLine();
        sb.AppendLine("| profile | options | tool | instances |");
        sb.AppendLine("| --- | --- | --- | ---: |");
        foreach (var g in audits.GroupBy(a => (a.Profile, Options: string.Join(", ", a.Options), a.Tool)).OrderByDescending(g => g.Count()))
        {
            sb.AppendLine(inv, $"| {g.Key.Profile} | {(g.Key.Options.Length == 0 ? "(none)" : g.Key.Options)} | {g.Key.Tool} | {g.Count()} |");
        }

        if (audits.Count < result.SourceInstances)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"{result.SourceInstances - audits.Count} instance(s) have no audit record.");
        }

        sb.AppendLine();
        sb.AppendLine("## Leak gate");
        sb.AppendLine();
        sb.AppendLine(inv, $"Before writing, every text column of every row was scanned for the identifying values (names, ids, accession numbers, dates, addresses, institution, original UIDs) of the {result.SourceInstances} source instances, compared as {result.Fingerprints} keyed fingerprints recorded at ingest (HMAC-SHA256 under the tenant key; the values themselves are kept nowhere).");
        sb.AppendLine();
        if (result.Withheld.Count == 0)
        {
            sb.AppendLine("Result: no text column holds an identifying value of a source instance; every column was written.");
        }
        else
        {
            sb.AppendLine("Result: these columns held identifying values of source instances and were **not written**:");
            sb.AppendLine();
            foreach (var w in result.Withheld)
            {
                sb.AppendLine(inv, $"- `{w.Column}`: {w.Values} value(s), first in the row of SOP Instance UID {w.FirstSopUid}");
            }
        }

        sb.AppendLine();
        sb.AppendLine("## Columns");
        sb.AppendLine();
        sb.AppendLine("| column | type | meaning |");
        sb.AppendLine("| --- | --- | --- |");
        foreach (var c in columns.Where(c => result.Withheld.All(w => w.Column != c.Name)))
        {
            sb.AppendLine(inv, $"| `{c.Name}` | {TypeName(c)} | {c.Description} |");
        }

        sb.AppendLine();
        sb.AppendLine("The files are partitioned by model (`data/model={model}/`). Read them with pandas (`pd.read_parquet`), DuckDB (`SELECT * FROM 'data/*/*.parquet'`) or Hugging Face `datasets` (`load_dataset(\"parquet\", data_dir=...)` or this card's configurations).");
        return sb.ToString();
    }

    private static string TypeName(ExportColumn c) => c switch
    {
        EmbeddingColumn e => $"fixed_size_list<float32>[{e.Dimensions}]",
        StringColumn => "string",
        Int32Column => "int32",
        StringListColumn => "list<string>",
        _ => c.Type.Name switch
        {
            "list" => $"list<{((Apache.Arrow.Types.ListType)c.Type).ValueDataType.Name}>",
            var n => n,
        },
    };
}
