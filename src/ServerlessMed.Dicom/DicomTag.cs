using System.Globalization;

namespace ServerlessMed.Dicom;

/// <summary>A DICOM attribute tag (group, element). Keyword constants such as <c>DicomTag.PatientName</c>
/// are generated from PS3.6 into DicomTag.Generated.cs.</summary>
public readonly partial struct DicomTag : IEquatable<DicomTag>, IComparable<DicomTag>
{
    public DicomTag(ushort group, ushort element) => Value = ((uint)group << 16) | element;

    public DicomTag(uint value) => Value = value;

    /// <summary>(group &lt;&lt; 16) | element: sorting by it is the order of a dataset.</summary>
    public uint Value { get; }

    public ushort Group => (ushort)(Value >> 16);

    public ushort Element => (ushort)Value;

    public bool IsPrivate => (Group & 1) == 1;

    /// <summary>(gggg,0010)-(gggg,00FF) in an odd group: reserves a block for a private creator.</summary>
    public bool IsPrivateCreator => IsPrivate && Element >= 0x0010 && Element <= 0x00FF;

    /// <summary>For a private data element (gggg,xxyy) with xx ≥ 0x10, the creator tag (gggg,00xx).</summary>
    public DicomTag PrivateCreatorTag => new(Group, (ushort)(Element >> 8));

    public bool IsGroupLength => Element == 0x0000;

    /// <summary>The dictionary entry, or an entry built for an unknown/private tag.</summary>
    public DicomDictionaryEntry DictionaryEntry => DicomDictionary.Default[this];

    public bool Equals(DicomTag other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is DicomTag t && Equals(t);

    public override int GetHashCode() => (int)Value;

    public int CompareTo(DicomTag other) => Value.CompareTo(other.Value);

    public static bool operator ==(DicomTag a, DicomTag b) => a.Value == b.Value;

    public static bool operator !=(DicomTag a, DicomTag b) => a.Value != b.Value;

    public static bool operator <(DicomTag a, DicomTag b) => a.Value < b.Value;

    public static bool operator >(DicomTag a, DicomTag b) => a.Value > b.Value;

    public static bool operator <=(DicomTag a, DicomTag b) => a.Value <= b.Value;

    public static bool operator >=(DicomTag a, DicomTag b) => a.Value >= b.Value;

    /// <summary>"(0010,0010)" as dcmdump writes it (lower-case hex).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Group:x4},{Element:x4})");

    /// <summary>"00100010", the form used by the DICOM JSON model.</summary>
    public string ToJsonKey() => Value.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>Parses "(0010,0010)", "0010,0010", "00100010" or a dictionary keyword.</summary>
    public static DicomTag Parse(string text)
    {
        if (TryParse(text, out var tag))
        {
            return tag;
        }

        throw new FormatException($"'{text}' is not a DICOM tag: expected (gggg,eeee), ggggeeee or a PS3.6 keyword");
    }

    public static bool TryParse(string text, out DicomTag tag)
    {
        var s = text.Trim().Trim('(', ')').Replace(",", string.Empty, StringComparison.Ordinal);
        if (s.Length == 8 && uint.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v))
        {
            tag = new DicomTag(v);
            return true;
        }

        var entry = DicomDictionary.Default.FindByKeyword(text.Trim());
        if (entry is not null)
        {
            tag = entry.Tag;
            return true;
        }

        tag = default;
        return false;
    }
}
