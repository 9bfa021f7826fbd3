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
    private readonly FrozenDictionary<string, DicomDictionaryEntry> _byKeyword;

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
        _byKeyword = keywords.ToFrozenDictionary(StringComparer.Ordinal);
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

    private static DicomDictionary Load()
    {
        using var stream = typeof(DicomDictionary).Assembly.GetManifestResourceStream("ServerlessMed.Dicom.dictionary.tsv")
            ?? throw new InvalidOperationException("the embedded PS3.6 dictionary is missing from ServerlessMed.Dicom");
        using var reader = new StreamReader(stream);
        var entries = new List<DicomDictionaryEntry>(5200);
        var vrCache = new Dictionary<string, DicomVR[]>(StringComparer.Ordinal);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var f = line.Split('\t');
            var tag = uint.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var mask = uint.Parse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (!vrCache.TryGetValue(f[2], out var vrs))
            {
                vrs = f[2] == "NONE" ? [DicomVR.NONE] : [.. f[2].Split('/').Select(DicomVR.Parse)];
                vrCache[f[2]] = vrs;
            }

            entries.Add(new DicomDictionaryEntry(new DicomTag(tag), mask, vrs, f[3], f[4] == "R", f[5], f[6]));
        }

        return new DicomDictionary(entries);
    }
}
