using System.Text.RegularExpressions;
using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>Cleans free text of the instance's own identifying values (names in any component order, ids,
/// accession number, birth date) for the C action. Returns null when the text cannot be cleaned safely.</summary>
public sealed partial class TextScrubber
{
    private readonly List<string> _needles;

    private TextScrubber(List<string> needles) => _needles = needles;

    public static TextScrubber FromDataset(DicomDataset ds) =>
        new([.. IdentifyingValues(ds).Distinct(StringComparer.OrdinalIgnoreCase).OrderByDescending(n => n.Length)]);

    /// <summary>The instance's own identifying values (name components, ids, accession number, birth date, study id,
    /// address, telephone, institution): what free text is cleaned of here, and what the export's leak gate looks for
    /// (as keyed fingerprints, see <see cref="IdentifierFingerprints"/>).</summary>
    public static IEnumerable<string> IdentifyingValues(DicomDataset ds)
    {
        var needles = new List<string>();
        void AddName(DicomTag tag)
        {
            if (ds.TryGetString(tag, out var s) && s.Length > 0)
            {
                needles.AddRange(DicomPersonName.Parse(s).AllComponents().Where(c => c.Length >= 2));
            }
        }

        void AddValue(DicomTag tag)
        {
            if (ds.TryGetString(tag, out var s) && s.Trim().Length >= 2)
            {
                needles.Add(s.Trim());
            }
        }

        AddName(DicomTag.PatientName);
        AddName(DicomTag.OtherPatientNames);
        AddName(DicomTag.PatientMotherBirthName);
        AddName(DicomTag.ReferringPhysicianName);
        AddName(DicomTag.PerformingPhysicianName);
        AddName(DicomTag.OperatorsName);
        AddValue(DicomTag.PatientID);
        AddValue(DicomTag.OtherPatientIDs);
        AddValue(DicomTag.AccessionNumber);
        AddValue(DicomTag.PatientBirthDate);
        AddValue(DicomTag.StudyID);
        AddValue(DicomTag.PatientAddress);
        AddValue(DicomTag.PatientTelephoneNumbers);
        AddValue(DicomTag.InstitutionName);
        return needles;
    }

    public string? Clean(string text)
    {
        var result = text;
        foreach (var n in _needles)
        {
            result = Regex.Replace(result, Regex.Escape(n), "***", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        }

        // Any remaining 8-digit date or long digit run could be an identifier or date: not safe to keep.
        return LooksIdentifying().IsMatch(result) ? null : result;
    }

    [GeneratedRegex(@"\b(19|20)\d{6}\b|\d{7,}")]
    private static partial Regex LooksIdentifying();
}
