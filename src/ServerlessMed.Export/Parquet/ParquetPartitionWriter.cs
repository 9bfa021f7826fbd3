using Apache.Arrow;
using ParquetSharp;
using ParquetSharp.Arrow;
using ServerlessMed.Export.Dataset;

namespace ServerlessMed.Export.Parquet;

/// <summary>Writes one model's rows as a Parquet file through Arrow (ParquetSharp over Apache Arrow C++), zstd
/// compressed, with the Arrow schema stored in the file so readers get the fixed-size embedding list back as such.
/// Written to a temporary name and renamed: a reader never sees half a file.</summary>
public static class ParquetPartitionWriter
{
    public static void Write(string path, IReadOnlyList<ExportRow> rows, IReadOnlyList<ExportColumn> columns)
    {
        var schema = new Schema([.. columns.Select(c => c.Field)], metadata: null);
        var batch = new RecordBatch(schema, [.. columns.Select(c => c.Build(rows))], rows.Count);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp-" + Environment.ProcessId;
        using (var properties = new WriterPropertiesBuilder().Compression(Compression.Zstd).CreatedBy("ServerlessMed export").Build())
        using (var arrowProperties = new ArrowWriterPropertiesBuilder().StoreSchema().Build())
        using (var writer = new FileWriter(temp, schema, properties, arrowProperties))
        {
            writer.WriteRecordBatch(batch, chunkSize: 64 * 1024);
            writer.Close();
        }

        File.Move(temp, path, overwrite: true);
    }
}
