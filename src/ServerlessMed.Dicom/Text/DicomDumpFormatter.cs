using System.Globalization;
using System.Text;

namespace ServerlessMed.Dicom;

/// <summary>A dcmdump-like listing: one line per element, "(gggg,eeee) VR [value] # length, VM Keyword",
/// sequences and items indented. Long values are cut at <see cref="MaxValueChars"/>.</summary>
public sealed class DicomDumpFormatter
{
    public int MaxValueChars { get; init; } = 64;

    public string Format(DicomFile file)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Dicom-File-Format");
        sb.AppendLine();
        sb.AppendLine("# Dicom-Meta-Information-Header");
        AppendDataset(sb, file.FileMetaInfo, 0);
        sb.AppendLine();
        sb.AppendLine("# Dicom-Data-Set");
        sb.Append("# Used TransferSyntax: ").AppendLine(file.TransferSyntax.Name);
        AppendDataset(sb, file.Dataset, 0);
        return sb.ToString();
    }

    public void AppendDataset(StringBuilder sb, DicomDataset ds, int depth)
    {
        var indent = new string(' ', depth * 2);
        foreach (var item in ds)
        {
            var keyword = item.Tag.DictionaryEntry.Keyword;
            if (keyword.Length == 0)
            {
                keyword = item.Tag.DictionaryEntry.Name.Replace(" ", string.Empty, StringComparison.Ordinal);
            }

            switch (item)
            {
                case DicomSequence sq:
                    sb.Append(indent).Append(item.Tag).Append(" SQ (Sequence with ").Append(sq.Items.Count.ToString(CultureInfo.InvariantCulture)).Append(" items) # ").AppendLine(keyword);
                    foreach (var child in sq.Items)
                    {
                        sb.Append(indent).AppendLine("  (fffe,e000) na (Item)");
                        AppendDataset(sb, child, depth + 2);
                    }

                    break;
                case DicomFragmentSequence fs:
                    sb.Append(indent).Append(item.Tag).Append(' ').Append(fs.ValueRepresentation.Code).Append(" (PixelSequence #=").Append((fs.Fragments.Count + 1).ToString(CultureInfo.InvariantCulture)).Append(") # ").AppendLine(keyword);
                    sb.Append(indent).Append("  (fffe,e000) pi offset table # ").AppendLine(fs.OffsetTable.Length.ToString(CultureInfo.InvariantCulture));
                    foreach (var f in fs.Fragments)
                    {
                        sb.Append(indent).Append("  (fffe,e000) pi fragment # ").AppendLine(f.Length.ToString(CultureInfo.InvariantCulture));
                    }

                    break;
                case DicomElement e:
                    string value;
                    int vm;
                    try
                    {
                        (value, vm) = FormatValue(ds, e);
                    }
                    catch (DicomException)
                    {
                        (value, vm) = ("(value cannot be decoded)", 0);
                    }

                    var line = $"{indent}{e.Tag} {e.ValueRepresentation.Code} {value}";
                    sb.Append(line.PadRight(Math.Max(line.Length + 1, 52 + indent.Length)))
                      .Append("# ").Append(e.Length.ToString(CultureInfo.InvariantCulture).PadLeft(3)).Append(',').Append(vm.ToString(CultureInfo.InvariantCulture).PadLeft(2)).Append(' ').AppendLine(keyword);
                    break;
            }
        }
    }

    private (string Value, int Vm) FormatValue(DicomDataset ds, DicomElement e)
    {
        if (e.Length == 0)
        {
            return ("(no value available)", 0);
        }

        var vr = e.ValueRepresentation;
        if (!e.Buffer.IsLoaded)
        {
            return ($"(not loaded: {e.Length} bytes)", 1);
        }

        var bytes = e.Buffer.GetMemory().Span;
        if (vr.IsString)
        {
            string[] values;
            try
            {
                values = DicomValueCodec.DecodeStrings(bytes, vr, vr.IsTextLike ? ds.Encoding : DicomEncoding.Default);
            }
            catch (DicomException)
            {
                values = DicomValueCodec.DecodeStrings(bytes, vr, DicomEncoding.Default);
            }

            return ("[" + Cut(string.Join('\\', values)) + "]", values.Length);
        }

        if (vr == DicomVR.AT)
        {
            var parts = new List<string>();
            for (var i = 0; i + 3 < bytes.Length; i += 4)
            {
                parts.Add(new DicomTag(BitConverter.ToUInt16(bytes[i..]), BitConverter.ToUInt16(bytes[(i + 2)..])).ToString());
            }

            return (Cut(string.Join('\\', parts)), parts.Count);
        }

        if (vr == DicomVR.FL || vr == DicomVR.FD || vr == DicomVR.OF || vr == DicomVR.OD)
        {
            var d = DicomValueCodec.DecodeNumbers<double>(bytes, vr);
            return (Cut(string.Join('\\', d.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)))), vr.MaxLength > 0 ? d.Length : 1);
        }

        if (vr == DicomVR.US || vr == DicomVR.SS || vr == DicomVR.UL || vr == DicomVR.SL || vr == DicomVR.SV || vr == DicomVR.UV)
        {
            var n = DicomValueCodec.DecodeNumbers<decimal>(bytes, vr);
            return (Cut(string.Join('\\', n.Select(x => x.ToString(CultureInfo.InvariantCulture)))), n.Length);
        }

        if (vr == DicomVR.OW || vr == DicomVR.OL || vr == DicomVR.OV)
        {
            // Only what is shown is decoded: OW data (LUTs, overlays) can be large.
            var shown = bytes[..Math.Min(bytes.Length, 32 * vr.UnitSize)];
            var n = DicomValueCodec.DecodeNumbers<ulong>(shown, vr);
            var hex = string.Join('\\', n.Select(x => x.ToString(vr == DicomVR.OW ? "x4" : vr == DicomVR.OL ? "x8" : "x16", CultureInfo.InvariantCulture)));
            return (Cut(hex), 1);
        }

        return (Cut(string.Join('\\', bytes[..Math.Min(bytes.Length, 64)].ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))), 1);
    }

    private string Cut(string s) => s.Length > MaxValueChars ? s[..MaxValueChars] + "..." : s;
}
