using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;

namespace ServerlessMed.Dicom;

/// <summary>The PS3.6 data dictionary, generated from the standard (scripts/generate-standard.py) and
/// loaded once from an embedded resource. Private tags resolve to their creator block (LO) or UN.</summary>
public sealed class DicomDictionary
{
    private static readonly Lazy<DicomDictionary> Lazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<uint, DicomDictionaryEntry> _exact;
    private readonly DicomDictionaryEntry[] _masked;
    private readonly Dictionary<string, DicomDictionaryEntry> _byKeyword; // lookups by keyword are rare: not worth freezing at start-up

    private static readonly DicomVR[] UL = [DicomVR.UL];
    private static readonly DicomVR[] LO = [DicomVR.LO];
    private static readonly DicomVR[] UN = [DicomVR.UN];

    private DicomDictionary(IEnumerable<DicomDictionaryEntry> entries)
    {
        var exact = new Dictionary<uint, DicomDictionaryEntry>();
        var masked = new List<DicomDictionaryEntry>();
        var keywords = new Dictionary<string, DicomDictionaryEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Mask == 0xFFFFFFFF)
            {
                exact.TryAdd(e.Tag.Value, e);
            }
            else
            {
                masked.Add(e);
            }

            if (e.Keyword.Length > 0)
            {
                keywords.TryAdd(e.Keyword, e);
            }
        }

        _exact = exact.ToFrozenDictionary();
        _masked = [.. masked];
        _byKeyword = keywords;
    }

    public static DicomDictionary Default => Lazy.Value;

    public int Count => _exact.Count + _masked.Length;

    /// <summary>The entry for a tag; never null. Unknown tags get an entry with an empty keyword.</summary>
    public DicomDictionaryEntry this[DicomTag tag] => TryGet(tag, out var e) ? e : Unknown(tag);

    public bool TryGet(DicomTag tag, out DicomDictionaryEntry entry)
    {
        if (_exact.TryGetValue(tag.Value, out entry!))
        {
            return true;
        }

        if (!tag.IsPrivate)
        {
            foreach (var m in _masked)
            {
                if ((tag.Value & m.Mask) == m.Tag.Value)
                {
                    entry = m;
                    return true;
                }
            }
        }

        entry = null!;
        return false;
    }

    public DicomDictionaryEntry? FindByKeyword(string keyword) => _byKeyword.GetValueOrDefault(keyword);

    private static DicomDictionaryEntry Unknown(DicomTag tag)
    {
        if (tag.IsGroupLength)
        {
            return new DicomDictionaryEntry(tag, 0xFFFFFFFF, UL, "1", false, string.Empty, "Group Length");
        }

        if (tag.IsPrivateCreator)
        {
            return new DicomDictionaryEntry(tag, 0xFFFFFFFF, LO, "1", false, string.Empty, "Private Creator");
        }

        return new DicomDictionaryEntry(tag, 0xFFFFFFFF, UN, "1-n", false, string.Empty, tag.IsPrivate ? "Private Tag" : "Unknown Tag");
    }

    /// <summary>Parses the embedded table from its UTF-8 bytes with spans: it runs on the first tag lookup of every
    /// process, so a command-line run on one small file would otherwise spend most of its time here.</summary>
    private static DicomDictionary Load()
    {
        using var stream = typeof(DicomDictionary).Assembly.GetManifestResourceStream("ServerlessMed.Dicom.dictionary.tsv")
            ?? throw new InvalidOperationException("the embedded PS3.6 dictionary is missing from ServerlessMed.Dicom");
        // The resource lives in the loaded image: read it in place rather than copying 390 KB into a large-object
        // array (whose allocation alone triggers a full collection in a fresh process).
        var bytes = ResourceMemory(stream);
        ReadOnlySpan<byte> rest = bytes.Span;
        var offset = 0;
        var entries = new List<DicomDictionaryEntry>(5200);
        var vrCache = new Dictionary<string, DicomVR[]>(StringComparer.Ordinal);
        var vmCache = new Dictionary<string, string>(StringComparer.Ordinal);
        Span<Range> fields = stackalloc Range[8];
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            var lineStart = offset;
            rest = end < 0 ? [] : rest[(end + 1)..];
            offset += end < 0 ? line.Length : end + 1;
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.Length == 0 || line[0] == '#' || SplitTabs(line, fields) < 7)
            {
                continue;
            }

            var tag = uint.Parse(line[fields[0]], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var mask = uint.Parse(line[fields[1]], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var vrText = System.Text.Encoding.ASCII.GetString(line[fields[2]]);
            if (!vrCache.TryGetValue(vrText, out var vrs))
            {
                vrs = vrText == "NONE" ? [DicomVR.NONE] : [.. vrText.Split('/').Select(DicomVR.Parse)];
                vrCache[vrText] = vrs;
            }

            var vmText = System.Text.Encoding.ASCII.GetString(line[fields[3]]);
            if (!vmCache.TryGetValue(vmText, out var vm))
            {
                vmCache[vmText] = vm = vmText;
            }

            var retired = line[fields[4]] is [(byte)'R'];
            var (nameStart, nameLength) = fields[6].GetOffsetAndLength(line.Length);
            var keyword = System.Text.Encoding.ASCII.GetString(line[fields[5]]);
            entries.Add(new DicomDictionaryEntry(new DicomTag(tag), mask, vrs, vm, retired, keyword, bytes.Slice(lineStart + nameStart, nameLength)));
        }

        return new DicomDictionary(entries);
    }

    private static ReadOnlyMemory<byte> ResourceMemory(Stream stream)
    {
        if (stream is UnmanagedMemoryStream unmanaged)
        {
            unsafe
            {
                return new PinnedMemory(unmanaged.PositionPointer, checked((int)unmanaged.Length)).Memory;
            }
        }

        var copy = new byte[stream.Length];
        stream.ReadExactly(copy);
        return copy;
    }

    /// <summary>Memory over bytes that never move or go away (a resource of the loaded module).</summary>
    private sealed unsafe class PinnedMemory(byte* pointer, int length) : System.Buffers.MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    private static int SplitTabs(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        for (var i = 0; i <= line.Length && count < fields.Length; i++)
        {
            if (i == line.Length || line[i] == '\t')
            {
                fields[count++] = start..i;
                start = i + 1;
            }
        }

        return count;
    }
}
