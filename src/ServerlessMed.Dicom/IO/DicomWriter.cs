using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ServerlessMed.Dicom.IO;

/// <summary>Writes DICOM Part 10 files and bare datasets in any native transfer syntax; encapsulated pixel data is
/// written unchanged when the transfer syntax is the one it was read in. Values are even-length padded, group
/// lengths recomputed, and large deferred values streamed from their source.</summary>
public sealed class DicomWriter
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private readonly Stream _output;
    private readonly DicomWriteOptions _options;
    private readonly byte[] _header = new byte[12];

    public DicomWriter(Stream output, DicomWriteOptions options)
    {
        _output = output;
        _options = options;
    }

    public void WriteFile(DicomFile file)
    {
        var ts = file.TransferSyntax;
        CheckPixelEncoding(file.Dataset, ts);
        _output.Write(new byte[128]);
        _output.Write("DICM"u8);
        var meta = BuildMeta(file.FileMetaInfo, file.Dataset, ts);
        WriteDataset(_output, meta, explicitVr: true, bigEndian: false);
        WriteDataset(file.Dataset, ts);
        _output.Flush();
    }

    /// <summary>Writes a dataset (no preamble or meta) in a transfer syntax.</summary>
    public void WriteDataset(DicomDataset dataset, DicomTransferSyntax ts)
    {
        if (ts.IsDeflated)
        {
            using var deflate = new DeflateStream(_output, _options.DeflateLevel, leaveOpen: true);
            using var buffered = new BufferedStream(deflate, 65536);
            WriteDataset(buffered, dataset, true, false);
            buffered.Flush();
        }
        else
        {
            WriteDataset(_output, dataset, ts.IsExplicitVR, ts.IsBigEndian);
        }
    }

    /// <summary>File meta regenerated per PS3.10 7.1: version, SOP class and instance from the dataset, the
    /// transfer syntax written, and our implementation class UID and version name.</summary>
    public static DicomDataset BuildMeta(DicomDataset existing, DicomDataset dataset, DicomTransferSyntax ts)
    {
        var meta = new DicomDataset();
        meta.AddOrUpdate(new DicomElement(DicomTag.FileMetaInformationVersion, DicomVR.OB, DicomBuffer.FromBytes(new byte[] { 0, 1 })));
        // The meta's own Media Storage UIDs are kept (dcmconv does the same); a new file takes the dataset's.
        var sopClass = Raw(existing, DicomTag.MediaStorageSOPClassUID) ?? Raw(dataset, DicomTag.SOPClassUID);
        var sopInstance = Raw(existing, DicomTag.MediaStorageSOPInstanceUID) ?? Raw(dataset, DicomTag.SOPInstanceUID);
        if (sopClass is not null)
        {
            meta.AddOrUpdate(new DicomElement(DicomTag.MediaStorageSOPClassUID, DicomVR.UI, sopClass));
        }

        if (sopInstance is not null)
        {
            meta.AddOrUpdate(new DicomElement(DicomTag.MediaStorageSOPInstanceUID, DicomVR.UI, sopInstance));
        }

        meta.AddOrUpdate(RawString(DicomTag.TransferSyntaxUID, DicomVR.UI, ts.Uid));
        meta.AddOrUpdate(RawString(DicomTag.ImplementationClassUID, DicomVR.UI, DicomUID.ImplementationClassUid));
        meta.AddOrUpdate(RawString(DicomTag.ImplementationVersionName, DicomVR.SH, DicomUID.ImplementationVersionName));
        foreach (var item in existing)
        {
            // Keep what describes the source (AE titles, private information), not what we regenerate.
            if (item.Tag.Element >= 0x0016 && item.Tag.Group == 0x0002)
            {
                meta.AddOrUpdate(item.Clone());
            }
        }

        var writer = new DicomWriter(Stream.Null, DicomWriteOptions.Default);
        var groupLength = meta.Sum(i => writer.Measure(i, explicitVr: true));
        meta.AddOrUpdate(new DicomElement(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, DicomBuffer.FromBytes(BitConverter.GetBytes((uint)groupLength))));
        return meta;
    }

    /// <summary>The element's bytes as they are (no trimming: a non-conformant value is not ours to change), or null when absent or empty.</summary>
    private static DicomBuffer? Raw(DicomDataset ds, DicomTag tag) =>
        ds.TryGetElement(tag, out var e) && e.Length > 0 ? e.Buffer : null;

    private static DicomElement RawString(DicomTag tag, DicomVR vr, string value) =>
        new(tag, vr, DicomBuffer.FromBytes(Encoding.ASCII.GetBytes(value)));

    private static void CheckPixelEncoding(DicomDataset dataset, DicomTransferSyntax ts)
    {
        if (dataset[DicomTag.PixelData] is DicomFragmentSequence && !ts.IsEncapsulated)
        {
            throw new DicomException($"the pixel data is encapsulated (compressed); writing it as {ts.Name} needs decompression first");
        }

        if (dataset[DicomTag.PixelData] is DicomElement && ts.IsEncapsulated)
        {
            throw new DicomException($"the pixel data is native; writing it as {ts.Name} needs compression first");
        }
    }

    private void WriteDataset(Stream s, DicomDataset dataset, bool explicitVr, bool bigEndian)
    {
        var items = dataset.ToList();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            if (item.Tag.IsGroupLength)
            {
                if (!_options.KeepGroupLengths && item.Tag.Group != 0x0002)
                {
                    continue;
                }

                // Recompute: the bytes of the rest of this group as we write them.
                long groupBytes = 0;
                for (var j = i + 1; j < items.Count && items[j].Tag.Group == item.Tag.Group; j++)
                {
                    groupBytes += Measure(items[j], explicitVr);
                }

                var value = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(value, (uint)groupBytes);
                WriteElement(s, new DicomElement(item.Tag, DicomVR.UL, DicomBuffer.FromBytes(value)), explicitVr, bigEndian);
                continue;
            }

            switch (item)
            {
                case DicomElement e:
                    WriteElement(s, e, explicitVr, bigEndian);
                    break;
                case DicomSequence sq:
                    WriteSequence(s, sq, explicitVr, bigEndian);
                    break;
                case DicomFragmentSequence fs:
                    WriteFragments(s, fs, explicitVr, bigEndian);
                    break;
            }
        }
    }

    private void WriteElement(Stream s, DicomElement e, bool explicitVr, bool bigEndian)
    {
        var vr = e.ValueRepresentation;
        var length = e.Length;
        var padded = length + (length & 1);
        if (padded > uint.MaxValue - 1)
        {
            throw new DicomException($"tag {e.Tag}: value of {length} bytes is too long for a 32-bit length field");
        }

        if (explicitVr && !vr.HasLongExplicitLength && padded > 0xFFFF)
        {
            // A short-length VR cannot hold this value: write it as UN, which has a 32-bit length (PS3.5 6.2.2).
            vr = DicomVR.UN;
        }

        WriteHeader(s, e.Tag, vr, (uint)padded, explicitVr, bigEndian);
        var swap = bigEndian && vr.IsBinaryNumber ? vr.UnitSize : 1;
        e.Buffer.CopyTo(s, swap);
        if ((length & 1) == 1)
        {
            s.WriteByte(vr.PaddingByte);
        }
    }

    private void WriteSequence(Stream s, DicomSequence sq, bool explicitVr, bool bigEndian)
    {
        var defined = UseDefinedLength(sq, explicitVr);
        WriteHeader(s, sq.Tag, DicomVR.SQ, defined ? (uint)(Measure(sq, explicitVr) - HeaderSize(DicomVR.SQ, explicitVr)) : UndefinedLength, explicitVr, bigEndian);
        foreach (var item in sq.Items)
        {
            WriteTagLength(s, DicomTag.Item, defined ? (uint)MeasureItem(item, explicitVr) : UndefinedLength, bigEndian);
            WriteDataset(s, item, explicitVr, bigEndian);
            if (!defined)
            {
                WriteTagLength(s, DicomTag.ItemDelimitationItem, 0, bigEndian);
            }
        }

        if (!defined)
        {
            WriteTagLength(s, DicomTag.SequenceDelimitationItem, 0, bigEndian);
        }
    }

    private void WriteFragments(Stream s, DicomFragmentSequence fs, bool explicitVr, bool bigEndian)
    {
        WriteHeader(s, fs.Tag, fs.ValueRepresentation, UndefinedLength, explicitVr, bigEndian);
        WriteFragment(s, fs.OffsetTable, bigEndian);
        var fragments = fs.Fragments;
        for (var i = 0; i < fragments.Count;)
        {
            var run = bigEndian ? 1 : ContiguousRun(fragments, i);
            if (run > 1)
            {
                // Items that lie back to back in one source file are copied as one range, their headers included:
                // a multi-frame image of small fragments costs a read or two, not one per frame.
                var first = (StreamRangeBuffer)fragments[i];
                var last = (StreamRangeBuffer)fragments[i + run - 1];
                new StreamRangeBuffer(first.Source, first.Offset - 8, last.Offset + last.Length - first.Offset + 8, 1).CopyTo(s);
            }
            else
            {
                WriteFragment(s, fragments[i], bigEndian);
            }

            i += run;
        }

        WriteTagLength(s, DicomTag.SequenceDelimitationItem, 0, bigEndian);
    }

    /// <summary>How many fragments from <paramref name="start"/> can be copied as one source range: deferred, from
    /// the same source, each after its own little-endian Item header, of even length (the header we would write is
    /// then the one in the source) and each starting right after the previous one.</summary>
    private static int ContiguousRun(IReadOnlyList<DicomBuffer> fragments, int start)
    {
        static StreamRangeBuffer? Copyable(DicomBuffer b) =>
            b is StreamRangeBuffer { FollowsLittleEndianItemHeader: true, SourceSwapUnit: 1 } range && (range.Length & 1) == 0 ? range : null;

        var previous = Copyable(fragments[start]);
        var n = 1;
        while (previous is not null && start + n < fragments.Count && Copyable(fragments[start + n]) is { } next
               && ReferenceEquals(next.Source, previous.Source) && next.Offset == previous.Offset + previous.Length + 8)
        {
            previous = next;
            n++;
        }

        return n;
    }

    private void WriteFragment(Stream s, DicomBuffer fragment, bool bigEndian)
    {
        var length = fragment.Length;
        WriteTagLength(s, DicomTag.Item, (uint)(length + (length & 1)), bigEndian);
        fragment.CopyTo(s);
        if ((length & 1) == 1)
        {
            s.WriteByte(0);
        }
    }

    private void WriteHeader(Stream s, DicomTag tag, DicomVR vr, uint length, bool explicitVr, bool bigEndian)
    {
        var h = _header.AsSpan();
        WriteUInt16(h, tag.Group, bigEndian);
        WriteUInt16(h[2..], tag.Element, bigEndian);
        if (!explicitVr)
        {
            WriteUInt32(h[4..], length, bigEndian);
            s.Write(h[..8]);
            return;
        }

        h[4] = (byte)vr.Code[0];
        h[5] = (byte)vr.Code[1];
        if (vr.HasLongExplicitLength)
        {
            h[6] = 0;
            h[7] = 0;
            WriteUInt32(h[8..], length, bigEndian);
            s.Write(h[..12]);
        }
        else
        {
            WriteUInt16(h[6..], (ushort)length, bigEndian);
            s.Write(h[..8]);
        }
    }

    private void WriteTagLength(Stream s, DicomTag tag, uint length, bool bigEndian)
    {
        var h = _header.AsSpan(0, 8);
        WriteUInt16(h, tag.Group, bigEndian);
        WriteUInt16(h[2..], tag.Element, bigEndian);
        WriteUInt32(h[4..], length, bigEndian);
        s.Write(h);
    }

    /// <summary>In implicit VR a reader can only tell a sequence whose tag is not SQ in the dictionary (private,
    /// unknown) by its undefined length, so those are always written with delimiters.</summary>
    private bool UseDefinedLength(DicomSequence sq, bool explicitVr) =>
        _options.ExplicitLengthSequences && (explicitVr || DicomParser.ImplicitVR(sq.Tag) == DicomVR.SQ);

    private static int HeaderSize(DicomVR vr, bool explicitVr) => explicitVr && vr.HasLongExplicitLength ? 12 : 8;

    /// <summary>Bytes this item takes when written with these options (header included).</summary>
    public long Measure(DicomItem item, bool explicitVr)
    {
        switch (item)
        {
            case DicomElement e:
                var padded = e.Length + (e.Length & 1);
                var vr = explicitVr && !e.ValueRepresentation.HasLongExplicitLength && padded > 0xFFFF ? DicomVR.UN : e.ValueRepresentation;
                return HeaderSize(vr, explicitVr) + padded;
            case DicomSequence sq:
                var defined = UseDefinedLength(sq, explicitVr);
                long total = HeaderSize(DicomVR.SQ, explicitVr);
                foreach (var it in sq.Items)
                {
                    total += 8 + MeasureItem(it, explicitVr) + (defined ? 0 : 8);
                }

                return total + (defined ? 0 : 8);
            case DicomFragmentSequence fs:
                long f = HeaderSize(fs.ValueRepresentation, explicitVr) + 8 + fs.OffsetTable.Length + (fs.OffsetTable.Length & 1);
                foreach (var frag in fs.Fragments)
                {
                    f += 8 + frag.Length + (frag.Length & 1);
                }

                return f + 8;
            default:
                return 0;
        }
    }

    private long MeasureItem(DicomDataset item, bool explicitVr)
    {
        long total = 0;
        foreach (var i in item)
        {
            if (i.Tag.IsGroupLength && !_options.KeepGroupLengths)
            {
                continue;
            }

            total += i.Tag.IsGroupLength ? 12 : Measure(i, explicitVr);
        }

        return total;
    }

    private static void WriteUInt16(Span<byte> s, ushort v, bool be)
    {
        if (be)
        {
            BinaryPrimitives.WriteUInt16BigEndian(s, v);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s, v);
        }
    }

    private static void WriteUInt32(Span<byte> s, uint v, bool be)
    {
        if (be)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s, v);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(s, v);
        }
    }
}
