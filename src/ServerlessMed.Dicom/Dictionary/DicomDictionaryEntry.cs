using System.Text;

namespace ServerlessMed.Dicom;

/// <summary>One row of the PS3.6 data dictionary. <see cref="Mask"/> is not all-ones for repeating
/// groups such as (60xx,3000): a tag matches when (tag &amp; Mask) == Tag.Value. The name is decoded from the
/// embedded table when first asked for: most processes never show one.</summary>
public sealed class DicomDictionaryEntry
{
    private readonly ReadOnlyMemory<byte> _nameUtf8;
    private string? _name;

    public DicomDictionaryEntry(DicomTag tag, uint mask, IReadOnlyList<DicomVR> valueRepresentations, string valueMultiplicity, bool isRetired, string keyword, string name)
        : this(tag, mask, valueRepresentations, valueMultiplicity, isRetired, keyword, ReadOnlyMemory<byte>.Empty)
    {
        _name = name;
    }

    internal DicomDictionaryEntry(DicomTag tag, uint mask, IReadOnlyList<DicomVR> valueRepresentations, string valueMultiplicity, bool isRetired, string keyword, ReadOnlyMemory<byte> nameUtf8)
    {
        Tag = tag;
        Mask = mask;
        ValueRepresentations = valueRepresentations;
        ValueMultiplicity = valueMultiplicity;
        IsRetired = isRetired;
        Keyword = keyword;
        _nameUtf8 = nameUtf8;
    }

    public DicomTag Tag { get; }

    public uint Mask { get; }

    public IReadOnlyList<DicomVR> ValueRepresentations { get; }

    public string ValueMultiplicity { get; }

    public bool IsRetired { get; }

    public string Keyword { get; }

    public string Name => _name ??= Encoding.UTF8.GetString(_nameUtf8.Span);

    /// <summary>The VR to use when the encoding does not say (implicit VR): the first listed.</summary>
    public DicomVR DefaultVR => ValueRepresentations.Count > 0 ? ValueRepresentations[0] : DicomVR.UN;

    public bool IsKnown => Keyword.Length > 0;

    public override string ToString() => $"{Tag} {Keyword}";
}
