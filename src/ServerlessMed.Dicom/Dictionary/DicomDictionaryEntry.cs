namespace ServerlessMed.Dicom;

/// <summary>One row of the PS3.6 data dictionary. <see cref="Mask"/> is not all-ones for repeating
/// groups such as (60xx,3000): a tag matches when (tag &amp; Mask) == Tag.Value.</summary>
public sealed record DicomDictionaryEntry(
    DicomTag Tag,
    uint Mask,
    IReadOnlyList<DicomVR> ValueRepresentations,
    string ValueMultiplicity,
    bool IsRetired,
    string Keyword,
    string Name)
{
    /// <summary>The VR to use when the encoding does not say (implicit VR): the first listed.</summary>
    public DicomVR DefaultVR => ValueRepresentations.Count > 0 ? ValueRepresentations[0] : DicomVR.UN;

    public bool IsKnown => Keyword.Length > 0;
}
