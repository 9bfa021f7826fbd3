using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ServerlessMed.Dicom;

/// <summary>The DICOM JSON model (PS3.18 Annex F): "ggggeeee": {"vr", "Value" | "InlineBinary" | "BulkDataURI"}.
/// PN as Alphabetic/Ideographic/Phonetic, IS/DS as numbers, AT as hex strings, binary as base64; pixel data
/// (and binary values over <see cref="BulkDataThreshold"/>) as a BulkDataURI instead of inline bytes.</summary>
public sealed class DicomJsonWriter
{
    private static readonly HashSet<uint> PixelTags = [DicomTag.PixelData.Value, DicomTag.FloatPixelData.Value, DicomTag.DoubleFloatPixelData.Value];

    /// <summary>Binary values longer than this become BulkDataURI (0: never, except pixel data).</summary>
    public long BulkDataThreshold { get; init; }

    /// <summary>The URI written for bulk data; gets the tag path, e.g. "7FE00010".</summary>
    public Func<string, string> BulkDataUri { get; init; } = path => "bulkdata/" + path;

    public bool Indented { get; init; } = true;

    public string Write(DicomDataset dataset)
    {
        using var ms = new MemoryStream();
        Write(dataset, ms);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public void Write(DicomDataset dataset, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = Indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        WriteDataset(w, dataset, string.Empty);
    }

    private void WriteDataset(Utf8JsonWriter w, DicomDataset ds, string path)
    {
        w.WriteStartObject();
        foreach (var item in ds)
        {
            var key = item.Tag.ToJsonKey();
            w.WritePropertyName(key);
            w.WriteStartObject();
            switch (item)
            {
                case DicomSequence sq:
                    w.WriteString("vr", "SQ");
                    if (sq.Items.Count > 0)
                    {
                        w.WriteStartArray("Value");
                        for (var i = 0; i < sq.Items.Count; i++)
                        {
                            WriteDataset(w, sq.Items[i], $"{path}{key}/{i}/");
                        }

                        w.WriteEndArray();
                    }

                    break;
                case DicomFragmentSequence fs:
                    w.WriteString("vr", fs.ValueRepresentation.Code);
                    w.WriteString("BulkDataURI", BulkDataUri(path + key));
                    break;
                case DicomElement e:
                    WriteElement(w, ds, e, path + key);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private void WriteElement(Utf8JsonWriter w, DicomDataset ds, DicomElement e, string path)
    {
        var vr = e.ValueRepresentation;
        w.WriteString("vr", vr.Code);
        if (e.Length == 0)
        {
            return;
        }

        if (!vr.IsString && (vr == DicomVR.OB || vr == DicomVR.OW || vr == DicomVR.OF || vr == DicomVR.OD || vr == DicomVR.OL || vr == DicomVR.OV || vr == DicomVR.UN))
        {
            if (PixelTags.Contains(e.Tag.Value) || (BulkDataThreshold > 0 && e.Length > BulkDataThreshold) || !e.Buffer.IsLoaded)
            {
                w.WriteString("BulkDataURI", BulkDataUri(path));
            }
            else
            {
                w.WriteBase64String("InlineBinary", e.Buffer.GetMemory().Span);
            }

            return;
        }

        var bytes = e.Buffer.GetMemory().Span;
        w.WriteStartArray("Value");
        if (vr == DicomVR.PN)
        {
            foreach (var v in DicomValueCodec.DecodeStrings(bytes, vr, ds.Encoding))
            {
                if (v.Length == 0)
                {
                    w.WriteNullValue();
                    continue;
                }

                var pn = DicomPersonName.Parse(v);
                w.WriteStartObject();
                if (pn.Alphabetic.Length > 0)
                {
                    w.WriteString("Alphabetic", pn.Alphabetic);
                }

                if (pn.Ideographic.Length > 0)
                {
                    w.WriteString("Ideographic", pn.Ideographic);
                }

                if (pn.Phonetic.Length > 0)
                {
                    w.WriteString("Phonetic", pn.Phonetic);
                }

                w.WriteEndObject();
            }
        }
        else if (vr == DicomVR.IS || vr == DicomVR.DS)
        {
            foreach (var v in DicomValueCodec.DecodeStrings(bytes, vr, DicomEncoding.Default))
            {
                if (v.Length == 0)
                {
                    w.WriteNullValue();
                }
                else if (vr == DicomVR.IS && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    w.WriteNumberValue(l);
                }
                else if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                {
                    w.WriteNumberValue(d);
                }
                else
                {
                    // Not a number (real files contain such values): keep the text rather than invent one.
                    w.WriteStringValue(v);
                }
            }
        }
        else if (vr == DicomVR.AT)
        {
            for (var i = 0; i + 3 < bytes.Length; i += 4)
            {
                var tag = new DicomTag(BitConverter.ToUInt16(bytes[i..]), BitConverter.ToUInt16(bytes[(i + 2)..]));
                w.WriteStringValue(tag.ToJsonKey());
            }
        }
        else if (vr.IsString)
        {
            foreach (var v in DicomValueCodec.DecodeStrings(bytes, vr, vr.IsTextLike ? ds.Encoding : DicomEncoding.Default))
            {
                if (v.Length == 0)
                {
                    w.WriteNullValue();
                }
                else
                {
                    w.WriteStringValue(v);
                }
            }
        }
        else if (vr == DicomVR.FL || vr == DicomVR.FD)
        {
            foreach (var d in DicomValueCodec.DecodeNumbers<double>(bytes, vr))
            {
                if (double.IsFinite(d))
                {
                    w.WriteNumberValue(vr == DicomVR.FL ? (double)(float)d : d);
                }
                else
                {
                    w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        else if (vr == DicomVR.SV)
        {
            foreach (var n in DicomValueCodec.DecodeNumbers<long>(bytes, vr))
            {
                w.WriteNumberValue(n);
            }
        }
        else if (vr == DicomVR.UV)
        {
            foreach (var n in DicomValueCodec.DecodeNumbers<ulong>(bytes, vr))
            {
                w.WriteNumberValue(n);
            }
        }
        else
        {
            foreach (var n in DicomValueCodec.DecodeNumbers<long>(bytes, vr))
            {
                w.WriteNumberValue(n);
            }
        }

        w.WriteEndArray();
    }
}
