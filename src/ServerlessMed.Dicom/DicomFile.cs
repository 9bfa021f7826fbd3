using System.IO.Compression;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Files;

namespace ServerlessMed.Dicom;

/// <summary>A DICOM Part 10 file: file meta information (group 0002) and the dataset.</summary>
public sealed class DicomFile
{
    public DicomFile(DicomDataset dataset, DicomTransferSyntax? transferSyntax = null)
    {
        Dataset = dataset;
        FileMetaInfo = new DicomDataset();
        TransferSyntax = transferSyntax ?? DicomTransferSyntax.ExplicitVRLittleEndian;
    }

    private DicomFile(DicomDataset meta, DicomDataset dataset, DicomTransferSyntax ts, bool preamble, List<string> warnings)
    {
        FileMetaInfo = meta;
        Dataset = dataset;
        TransferSyntax = ts;
        HadPreamble = preamble;
        Warnings = warnings;
    }

    public DicomDataset FileMetaInfo { get; }

    public DicomDataset Dataset { get; }

    /// <summary>How the dataset was (or will be) encoded.</summary>
    public DicomTransferSyntax TransferSyntax { get; set; }

    public bool HadPreamble { get; }

    /// <summary>What the reader tolerated (odd structures DCMTK also accepts). No values are quoted.</summary>
    public IReadOnlyList<string> Warnings { get; } = [];

    public static DicomFile Open(string path, DicomReaderOptions? options = null)
    {
        options ??= DicomReaderOptions.Default;
        if (options.SourceName is null)
        {
            options = new DicomReaderOptions
            {
                LargeValueThreshold = options.LargeValueThreshold,
                MaxSequenceDepth = options.MaxSequenceDepth,
                MaxValueLength = options.MaxValueLength,
                StopAtTag = options.StopAtTag,
                SourceName = Path.GetFileName(path),
            };
        }

        // Unbuffered: the reader buffers (a pooled 64 KiB) itself.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        return Read(stream, options, new FileStreamSource(path));
    }

    /// <summary>Reads from a file the caller has opened, through its handle from offset 0 (the stream's own position
    /// is neither used nor moved). Large values stay references into the file, read later through the same handle
    /// (<see cref="FileHandleSource"/>): keep the file open while you use them.</summary>
    public static DicomFile Open(FileStream stream, DicomReaderOptions? options = null) =>
        Open(stream.SafeFileHandle, options ?? new DicomReaderOptions { SourceName = Path.GetFileName(stream.Name) });

    /// <summary>Reads from a file the caller has opened (<see cref="File.OpenHandle"/>), from offset 0, with positional
    /// reads only. Large values stay references into the file, read later through the same handle: keep it open while
    /// you use them.</summary>
    public static DicomFile Open(Microsoft.Win32.SafeHandles.SafeFileHandle handle, DicomReaderOptions? options = null)
    {
        options ??= DicomReaderOptions.Default;
        using var stream = new HandleReadStream(handle, RandomAccess.GetLength(handle));
        return Read(stream, options, new FileHandleSource(handle, options.SourceName ?? "file"));
    }

    /// <summary>Reads from any stream. For a seekable stream, large values stay references into it: keep it open
    /// while you use them. A non-seekable stream is read whole (values are loaded).</summary>
    public static DicomFile Open(Stream stream, DicomReaderOptions? options = null)
    {
        options ??= DicomReaderOptions.Default;
        return Read(stream, options, stream.CanSeek ? new SharedStreamSource(stream, options.SourceName ?? "stream") : null);
    }

    private static DicomFile Read(Stream stream, DicomReaderOptions options, IDicomStreamSource? source)
    {
        var warnings = new List<string>();
        using var src = new ByteSource(stream);
        var name = options.SourceName;

        var preamble = false;
        var head = src.Peek(132);
        if (head.Length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M')
        {
            src.Skip(132);
            preamble = true;
        }
        else if (head.Length >= 4 && head[0] == 'D' && head[1] == 'I' && head[2] == 'C' && head[3] == 'M')
        {
            src.Skip(4);
        }

        var meta = new DicomDataset();
        if (src.TryEnsure(2) && src.Peek(2) is [0x02, 0x00])
        {
            ReadMeta(src, meta, options, warnings);
        }
        else if (preamble)
        {
            throw new DicomFormatException("'DICM' prefix is not followed by the file meta information group (0002)", name, src.Position);
        }

        DicomTransferSyntax ts;
        if (meta.TryGetString(DicomTag.TransferSyntaxUID, out var tsUid) && tsUid.Length > 0)
        {
            ts = DicomTransferSyntax.Parse(tsUid);
        }
        else
        {
            if (meta.Count > 0)
            {
                warnings.Add("file meta information has no Transfer Syntax UID; guessed from the dataset");
            }

            ts = GuessTransferSyntax(src, name, hasMeta: meta.Count > 0);
        }

        var dataset = new DicomDataset();
        var builder = new DicomDatasetBuilder(dataset);
        if (ts.IsDeflated)
        {
            using var inflated = new DeflateStream(new ByteSourceStream(src), CompressionMode.Decompress);
            using var inner = new ByteSource(inflated);
            try
            {
                new DicomParser(inner, builder, options, null, warnings).ParseDataset(true, false);
            }
            catch (InvalidDataException e)
            {
                throw new DicomFormatException("the deflated dataset is not valid deflate data", name, src.Position, null, e);
            }
        }
        else
        {
            var (explicitVr, bigEndian) = DetectEncoding(src, ts, warnings);
            new DicomParser(src, builder, options, source, warnings).ParseDataset(explicitVr, bigEndian);
            if (!explicitVr)
            {
                AmbiguousVRResolver.Resolve(dataset);
            }
        }

        return new DicomFile(meta, dataset, ts, preamble, warnings);
    }

    private static void ReadMeta(ByteSource src, DicomDataset meta, DicomReaderOptions options, List<string> warnings)
    {
        // Group 0002 is always explicit VR little endian. Its group length is not trusted: read while the group is 0002.
        var metaOptions = new DicomReaderOptions { SourceName = options.SourceName, MaxSequenceDepth = 1, StopAtTag = new DicomTag(0x0003, 0x0000) };
        var builder = new DicomDatasetBuilder(meta);
        var explicitMeta = src.TryEnsure(6) && DicomVR.TryParse(src.Peek(6)[4], src.Peek(6)[5], out _);
        if (!explicitMeta)
        {
            warnings.Add("file meta information is encoded in implicit VR");
        }

        var metaSource = new MetaGroupStream(src);
        using var metaBytes = new ByteSource(metaSource, 4096);
        new DicomParser(metaBytes, builder, metaOptions, null, warnings).ParseDataset(explicitMeta, false);
        if (meta.TryGetValue<uint>(DicomTag.FileMetaInformationGroupLength, out var declared))
        {
            var actual = metaSource.Consumed - 12;
            if (declared != actual)
            {
                warnings.Add($"file meta group length says {declared} bytes, the group has {actual}");
            }
        }
    }

    private static (bool ExplicitVr, bool BigEndian) DetectEncoding(ByteSource src, DicomTransferSyntax ts, List<string> warnings)
    {
        var head = src.Peek(6);
        if (head.Length < 6)
        {
            return (ts.IsExplicitVR, ts.IsBigEndian);
        }

        var looksExplicit = DicomVR.TryParse(head[4], head[5], out _);
        if (ts.IsExplicitVR && !looksExplicit)
        {
            warnings.Add($"transfer syntax {ts.Uid} is explicit VR but the dataset is encoded in implicit VR; read as implicit");
            return (false, ts.IsBigEndian);
        }

        if (!ts.IsExplicitVR && looksExplicit && head[4] >= 'A' && head[5] >= 'A')
        {
            var tag = new DicomTag((ushort)(head[0] | head[1] << 8), (ushort)(head[2] | head[3] << 8));
            var vr = DicomParser.ImplicitVR(tag);
            if (vr.Code[0] == head[4] && vr.Code[1] == head[5])
            {
                warnings.Add($"transfer syntax {ts.Uid} is implicit VR but the dataset is encoded in explicit VR; read as explicit");
                return (true, false);
            }
        }

        return (ts.IsExplicitVR, ts.IsBigEndian);
    }

    /// <summary>No meta information: the first element tells the encoding (as DCMTK and pydicom guess it).</summary>
    private static DicomTransferSyntax GuessTransferSyntax(ByteSource src, string? name, bool hasMeta)
    {
        var h = src.Peek(8);
        if (h.Length < 8)
        {
            throw new DicomFormatException("not DICOM: too short to hold a data element", name, 0);
        }

        var groupLe = (ushort)(h[0] | (h[1] << 8));
        var groupBe = (ushort)((h[0] << 8) | h[1]);
        var validVr = DicomVR.TryParse(h[4], h[5], out _);
        // With file meta present the content is DICOM by declaration; otherwise demand a plausible first group.
        if (hasMeta || (groupLe is >= 0x0002 and <= 0x0010 && groupLe % 2 == 0))
        {
            return validVr ? DicomTransferSyntax.ExplicitVRLittleEndian : DicomTransferSyntax.ImplicitVRLittleEndian;
        }

        if (groupBe is >= 0x0002 and <= 0x0010 && groupBe % 2 == 0 && validVr)
        {
            return DicomTransferSyntax.ExplicitVRBigEndian;
        }

        throw new DicomFormatException($"not DICOM: no 'DICM' prefix, no file meta information, and the first bytes are not a data element of group 0002-0010 (found group {groupLe:x4})", name, 0);
    }

    /// <summary>Writes the file: preamble, DICM, regenerated file meta, dataset in <see cref="TransferSyntax"/>,
    /// to a temporary name that then replaces <paramref name="path"/> in one step.</summary>
    public void Save(string path, DicomWriteOptions? options = null)
    {
        using var writer = new AtomicFileWriter();
        Save(path, writer, options);
    }

    /// <summary>As <see cref="Save(string, DicomWriteOptions?)"/>, through a caller's writer: one per worker that writes
    /// many files deletes the files it replaces together, not one by one (see <see cref="AtomicFileWriter"/>).</summary>
    public void Save(string path, AtomicFileWriter writer, DicomWriteOptions? options = null) => writer.Write(path, fs =>
    {
        using var buffered = new PooledWriteStream(fs);
        Save(buffered, options);
    });

    public void Save(Stream stream, DicomWriteOptions? options = null) => new DicomWriter(stream, options ?? DicomWriteOptions.Default).WriteFile(this);

    /// <summary>Exposes the rest of a ByteSource (its buffer, then its stream) as a Stream, for inflating.</summary>
    private sealed class ByteSourceStream(ByteSource src) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => src.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.Length == 0 || !src.TryEnsure(1))
            {
                return 0;
            }

            var available = src.Peek(Math.Min(buffer.Length, 65536));
            var n = Math.Min(available.Length, buffer.Length);
            available[..n].CopyTo(buffer);
            src.Skip(n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Feeds the meta parser only while the next tag is in group 0002, then reports end of stream,
    /// so a wrong group length cannot make the meta swallow the dataset.</summary>
    private sealed class MetaGroupStream(ByteSource src) : Stream
    {
        private long _elementEnd = -1;

        public long Consumed { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Consumed; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // Serve one element at a time; before each, check its group.
            if (_elementEnd <= Consumed)
            {
                var head = src.Peek(8);
                if (head.Length < 8 || head[0] != 0x02 || head[1] != 0x00)
                {
                    return 0;
                }

                var explicitVr = DicomVR.TryParse(head[4], head[5], out var vr);
                long len;
                if (explicitVr && !vr.HasLongExplicitLength)
                {
                    len = 8 + (head[6] | (head[7] << 8));
                }
                else if (explicitVr)
                {
                    var h12 = src.Peek(12);
                    if (h12.Length < 12)
                    {
                        return 0;
                    }

                    len = 12 + (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(h12[8..]);
                }
                else
                {
                    len = 8 + (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
                }

                _elementEnd = Consumed + len;
            }

            var want = (int)Math.Min(buffer.Length, _elementEnd - Consumed);
            if (!src.TryEnsure(1))
            {
                return 0;
            }

            var span = src.Peek(Math.Min(want, 65536));
            var n = Math.Min(span.Length, want);
            span[..n].CopyTo(buffer);
            src.Skip(n);
            Consumed += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
