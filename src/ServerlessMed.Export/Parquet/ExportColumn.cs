using Apache.Arrow;
using Apache.Arrow.Types;
using ServerlessMed.Export.Dataset;

namespace ServerlessMed.Export.Parquet;

/// <summary>One column of the dataset: its name, Arrow type and meaning, how it is built from the rows, and (for
/// text columns) the strings the leak gate scans.</summary>
public abstract class ExportColumn(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    public abstract IArrowType Type { get; }

    /// <summary>True when the column holds text (the leak gate scans every such column).</summary>
    public virtual bool IsText => false;

    /// <summary>The column's strings in one row (text columns only).</summary>
    public virtual IEnumerable<string> Texts(ExportRow row) => [];

    public Field Field => new(Name, Type, nullable: true);

    public abstract IArrowArray Build(IReadOnlyList<ExportRow> rows);
}

public sealed class StringColumn(string name, string description, Func<ExportRow, string?> value) : ExportColumn(name, description)
{
    public override IArrowType Type => StringType.Default;

    public override bool IsText => true;

    public override IEnumerable<string> Texts(ExportRow row) => value(row) is { } s ? [s] : [];

    public override IArrowArray Build(IReadOnlyList<ExportRow> rows)
    {
        var b = new StringArray.Builder();
        foreach (var r in rows)
        {
            if (value(r) is { } s)
            {
                b.Append(s);
            }
            else
            {
                b.AppendNull();
            }
        }

        return b.Build();
    }
}

public sealed class Int32Column(string name, string description, Func<ExportRow, int> value) : ExportColumn(name, description)
{
    public override IArrowType Type => Int32Type.Default;

    public override IArrowArray Build(IReadOnlyList<ExportRow> rows)
    {
        var b = new Int32Array.Builder();
        foreach (var r in rows)
        {
            b.Append(value(r));
        }

        return b.Build();
    }
}

/// <summary>A list of strings per row (e.g. the paths of a study's generated images).</summary>
public sealed class StringListColumn(string name, string description, Func<ExportRow, IEnumerable<string>> values) : ExportColumn(name, description)
{
    public override IArrowType Type => new ListType(new Field("item", StringType.Default, true));

    public override bool IsText => true;

    public override IEnumerable<string> Texts(ExportRow row) => values(row);

    public override IArrowArray Build(IReadOnlyList<ExportRow> rows)
    {
        var b = new ListArray.Builder(StringType.Default);
        var items = (StringArray.Builder)b.ValueBuilder;
        foreach (var r in rows)
        {
            b.Append();
            foreach (var s in values(r))
            {
                items.Append(s);
            }
        }

        return b.Build();
    }
}

/// <summary>A list of numbers per row, or null (pixel spacing; the generation parameters of each request).</summary>
public sealed class NumberListColumn<T>(string name, string description, Func<ExportRow, IEnumerable<T>?> values) : ExportColumn(name, description)
    where T : struct
{
    public override IArrowType Type => new ListType(new Field("item", ElementType, true));

    private static IArrowType ElementType => typeof(T) == typeof(int) ? Int32Type.Default : typeof(T) == typeof(float) ? FloatType.Default : DoubleType.Default;

    public override IArrowArray Build(IReadOnlyList<ExportRow> rows)
    {
        var b = new ListArray.Builder(ElementType);
        foreach (var r in rows)
        {
            if (values(r) is not { } list)
            {
                b.AppendNull();
                continue;
            }

            b.Append();
            foreach (var v in list)
            {
                switch (b.ValueBuilder)
                {
                    case Int32Array.Builder i:
                        i.Append((int)(object)v);
                        break;
                    case FloatArray.Builder f:
                        f.Append((float)(object)v);
                        break;
                    case DoubleArray.Builder d:
                        d.Append((double)(object)v);
                        break;
                }
            }
        }

        return b.Build();
    }
}

/// <summary>The embedding: a fixed-size list of float32 of the model's width (Arrow fixed_size_list, kept as such by
/// pyarrow, pandas, DuckDB and Hugging Face datasets through the Arrow schema stored in the file).</summary>
public sealed class EmbeddingColumn(string name, string description, int dimensions) : ExportColumn(name, description)
{
    public int Dimensions { get; } = dimensions;

    public override IArrowType Type => new FixedSizeListType(FloatType.Default, Dimensions);

    public override IArrowArray Build(IReadOnlyList<ExportRow> rows)
    {
        // Through the builder: its buffers are native Arrow memory, which the C data interface hands to Parquet.
        var b = new FixedSizeListArray.Builder(FloatType.Default, Dimensions);
        var values = (FloatArray.Builder)b.ValueBuilder;
        values.Reserve(rows.Count * Dimensions);
        foreach (var r in rows)
        {
            if (r.Embedding.Length != Dimensions)
            {
                throw new InvalidDataException($"embedding of {r.SopUid} frame {r.Frame} has {r.Embedding.Length} values, the model's others {Dimensions}");
            }

            b.Append();
            values.Append(r.Embedding.AsSpan());
        }

        return b.Build();
    }
}
