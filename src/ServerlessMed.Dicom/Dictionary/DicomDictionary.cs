using System.Globalization;
using System.Reflection;

namespace ServerlessMed.Dicom;

/// <summary>The PS3.6 data dictionary, generated from the standard (scripts/generate-standard.py) and
/// read from an embedded resource. Private tags resolve to their creator block (LO) or UN.</summary>
/// <remarks>Start-up does no more than find each row: a tag → row hash table over the resource, which stays in the
/// loaded image. A row becomes a <see cref="DicomDictionaryEntry"/> the first time its tag is looked up, and the
/// keyword index is built on the first keyword lookup. A command-line run on one file looks up a few hundred of the
/// 5,000 rows; building all of them (strings, objects, a frozen table) was a quarter of its time and its only
/// garbage collection.</remarks>
public sealed class DicomDictionary
{
    private static readonly Lazy<DicomDictionary> Lazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly ReadOnlyMemory<byte> _table;
    private readonly int[] _lineStarts; // row i is the line at _table[_lineStarts[i]..]
    private readonly uint[] _tags;
    private readonly uint[] _masks;
    private readonly int[] _slots; // open addressing over exact rows: row index + 1, 0 = empty
    private readonly int _slotShift; // 32 - log2(slots): the top bits of the multiplicative hash pick the slot
    private readonly int[] _maskedRows; // repeating groups such as (60xx,3000), in table order
    private readonly DicomDictionaryEntry?[] _entries;
    private Dictionary<string, DicomDictionaryEntry>? _byKeyword;

    private static readonly DicomVR[] UL = [DicomVR.UL];
    private static readonly DicomVR[] LO = [DicomVR.LO];
    private static readonly DicomVR[] UN = [DicomVR.UN];

    private DicomDictionary(ReadOnlyMemory<byte> table, List<(int LineStart, uint Tag, uint Mask)> rows)
    {
        _table = table;
        _lineStarts = new int[rows.Count];
        _tags = new uint[rows.Count];
        _masks = new uint[rows.Count];
        _entries = new DicomDictionaryEntry?[rows.Count];
        _slots = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)rows.Count * 2)];
        _slotShift = 32 - System.Numerics.BitOperations.Log2((uint)_slots.Length);
        var masked = new List<int>();
        for (var i = 0; i < rows.Count; i++)
        {
            (_lineStarts[i], _tags[i], _masks[i]) = rows[i];
            if (_masks[i] != 0xFFFFFFFF)
            {
                masked.Add(i);
                continue;
            }

            var slot = SlotOf(_tags[i]);
            while (_slots[slot] != 0 && _tags[_slots[slot] - 1] != _tags[i])
            {
                slot = (slot + 1) & (_slots.Length - 1);
            }

            if (_slots[slot] == 0)
            {
                _slots[slot] = i + 1; // a repeated row keeps the first, as the standard lists each tag once
            }
        }

        _maskedRows = [.. masked];
    }

    public static DicomDictionary Default => Lazy.Value;

    public int Count => _tags.Length;

    /// <summary>The entry for a tag; never null. Unknown tags get an entry with an empty keyword.</summary>
    public DicomDictionaryEntry this[DicomTag tag] => TryGet(tag, out var e) ? e : Unknown(tag);

    public bool TryGet(DicomTag tag, out DicomDictionaryEntry entry)
    {
        var row = RowOf(tag);
        if (row < 0)
        {
            entry = null!;
            return false;
        }

        entry = Volatile.Read(ref _entries[row]) ?? Materialise(row);
        return true;
    }

    public DicomDictionaryEntry? FindByKeyword(string keyword) => (Volatile.Read(ref _byKeyword) ?? BuildKeywordIndex()).GetValueOrDefault(keyword);

    private int SlotOf(uint tag) => (int)((tag * 0x9E3779B1u) >> _slotShift);

    private int RowOf(DicomTag tag)
    {
        var value = tag.Value;
        for (var slot = SlotOf(value); _slots[slot] != 0; slot = (slot + 1) & (_slots.Length - 1))
        {
            if (_tags[_slots[slot] - 1] == value)
            {
                return _slots[slot] - 1;
            }
        }

        if (!tag.IsPrivate)
        {
            foreach (var row in _maskedRows)
            {
                if ((value & _masks[row]) == _tags[row])
                {
                    return row;
                }
            }
        }

        return -1;
    }

    /// <summary>Builds a row's entry; two threads may both build one, and either result is the same entry.</summary>
    private DicomDictionaryEntry Materialise(int row)
    {
        var rest = _table.Span[_lineStarts[row]..];
        var line = Text.Tsv.ReadLine(ref rest, out _);

        Span<Range> fields = stackalloc Range[8];
        Text.Tsv.SplitTabs(line, fields);
        var vrText = System.Text.Encoding.ASCII.GetString(line[fields[2]]);
        DicomVR[] vrs = vrText == "NONE" ? [DicomVR.NONE] : [.. vrText.Split('/').Select(DicomVR.Parse)];
        var vm = System.Text.Encoding.ASCII.GetString(line[fields[3]]);
        var retired = line[fields[4]] is [(byte)'R'];
        var keyword = System.Text.Encoding.ASCII.GetString(line[fields[5]]);
        var (nameStart, nameLength) = fields[6].GetOffsetAndLength(line.Length);
        var entry = new DicomDictionaryEntry(new DicomTag(_tags[row]), _masks[row], vrs, vm, retired, keyword, _table.Slice(_lineStarts[row] + nameStart, nameLength));
        return Interlocked.CompareExchange(ref _entries[row], entry, null) ?? entry;
    }

    private Dictionary<string, DicomDictionaryEntry> BuildKeywordIndex()
    {
        var keywords = new Dictionary<string, DicomDictionaryEntry>(_tags.Length, StringComparer.Ordinal);
        for (var row = 0; row < _tags.Length; row++)
        {
            var e = Volatile.Read(ref _entries[row]) ?? Materialise(row);
            if (e.Keyword.Length > 0)
            {
                keywords.TryAdd(e.Keyword, e);
            }
        }

        return Interlocked.CompareExchange(ref _byKeyword, keywords, null) ?? keywords;
    }

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

    /// <summary>Finds each row's tag and mask in the embedded table's UTF-8 bytes, in place.</summary>
    private static DicomDictionary Load()
    {
        using var stream = typeof(DicomDictionary).Assembly.GetManifestResourceStream("ServerlessMed.Dicom.dictionary.tsv")
            ?? throw new InvalidOperationException("the embedded PS3.6 dictionary is missing from ServerlessMed.Dicom");
        // The resource lives in the loaded image: read it in place rather than copying 390 KB into a large-object
        // array (whose allocation alone triggers a full collection in a fresh process).
        var bytes = ResourceMemory(stream);
        ReadOnlySpan<byte> rest = bytes.Span;
        var offset = 0;
        var rows = new List<(int, uint, uint)>(5200);
        while (rest.Length > 0)
        {
            var lineStart = offset;
            var line = Text.Tsv.ReadLine(ref rest, out var consumed);
            offset += consumed;
            // Rows start "TTTTTTTT\tMMMMMMMM\t": comments, blank lines and anything else are not rows.
            if (line.Length < 18 || line[0] == '#' || line[8] != '\t' || line[17] != '\t')
            {
                continue;
            }

            var tag = uint.Parse(line[..8], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var mask = uint.Parse(line[9..17], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            rows.Add((lineStart, tag, mask));
        }

        return new DicomDictionary(bytes, rows);
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
}
