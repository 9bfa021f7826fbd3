using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Dicom;

/// <summary>The DICOM JSON model (PS3.18 Annex F): "ggggeeee": {"vr", "Value" | "InlineBinary" | "BulkDataURI"}.
/// PN as Alphabetic/Ideographic/Phonetic, IS/DS as numbers, AT as hex strings, binary as base64. By default every
/// binary value is written inline, pixel data included (encapsulated pixel data as its value field: the offset table
/// and fragment items with their headers, as pydicom holds it), streamed in chunks so a deferred value is never loaded
/// whole; a URI is written only for a caller that stores the bulk data itself (<see cref="BulkDataUri"/>).</summary>
public sealed class DicomJsonWriter
{
    private static readonly HashSet<uint> PixelTags = [DicomTag.PixelData.Value, DicomTag.FloatPixelData.Value, DicomTag.DoubleFloatPixelData.Value];

    /// <summary>Base64 is written in chunks of this many bytes (a multiple of 3, so no chunk ends inside a group).</summary>
    private const int InlineChunk = 3 << 18;

    /// <summary>With <see cref="BulkDataUri"/>: binary values longer than this become BulkDataURI (0: only pixel data).</summary>
    public long BulkDataThreshold { get; init; }

    /// <summary>The URI for a bulk data value, from its tag path (e.g. "7FE00010"), when the caller stores bulk data
    /// there itself; null (the default) writes every value inline, so nothing refers to data that does not exist.</summary>
    public Func<string, string>? BulkDataUri { get; init; }

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
                    if (BulkDataUri is not null)
                    {
                        w.WriteString("BulkDataURI", BulkDataUri(path + key));
                    }
                    else
                    {
                        WriteInline(w, [fs.OffsetTable, .. fs.Fragments], itemHeaders: true);
                    }

                    break;
                case DicomElement e:
                    WriteElement(w, ds, e, path + key);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>"InlineBinary" of the buffers one after another (each after an Item header when
    /// <paramref name="itemHeaders"/>), read a chunk at a time and flushed as it goes.</summary>
    private static void WriteInline(Utf8JsonWriter w, IReadOnlyList<DicomBuffer> buffers, bool itemHeaders)
    {
        w.WritePropertyName("InlineBinary");
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(InlineChunk);
        var filled = 0;
        try
        {
            void Append(DicomBuffer b)
            {
                for (long done = 0; done < b.Length;)
                {
                    var n = (int)Math.Min(b.Length - done, InlineChunk - filled);
                    b.ReadRange(done, chunk.AsSpan(filled, n));
                    done += n;
                    filled += n;
                    if (filled == InlineChunk)
                    {
                        w.WriteBase64StringSegment(chunk.AsSpan(0, filled), isFinalSegment: false);
                        w.Flush();
                        filled = 0;
                    }
                }
            }

            foreach (var b in buffers)
            {
                if (itemHeaders)
                {
                    var padded = b.Length + (b.Length & 1);
                    Append(DicomBuffer.FromBytes(new byte[] { 0xFE, 0xFF, 0x00, 0xE0, (byte)padded, (byte)(padded >> 8), (byte)(padded >> 16), (byte)(padded >> 24) }));
                    Append(b);
                    if ((b.Length & 1) == 1)
                    {
                        Append(DicomBuffer.FromBytes(new byte[] { 0 }));
                    }
                }
                else
                {
                    Append(b);
                }
            }

            w.WriteBase64StringSegment(chunk.AsSpan(0, filled), isFinalSegment: true);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
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
            if (BulkDataUri is not null && (PixelTags.Contains(e.Tag.Value) || (BulkDataThreshold > 0 && e.Length > BulkDataThreshold)))
            {
                w.WriteString("BulkDataURI", BulkDataUri(path));
            }
            else if (e.Buffer.IsLoaded)
            {
                w.WriteBase64String("InlineBinary", e.Buffer.GetMemory().Span);
            }
            else
            {
                WriteInline(w, [e.Buffer], itemHeaders: false);
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
