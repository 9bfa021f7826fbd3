using ServerlessMed.Dicom;

namespace ServerlessMed.Deid;

/// <summary>The action for a public attribute that Table E.1-1 does not name. The table lists what the standard's
/// authors found identifying; free text elsewhere can hold identifiers as well (Document Title, Content Description,
/// Intervention Drug Name, Birth Date in Alternative Calendar, a report's Text Value), so the rule is the table's own for
/// descriptive text: free text (SH, LO, ST, LT, UT, UC) goes, or is cleaned where a Clean option applies (Clean
/// Descriptors, or inside a sequence the profile cleans); a person name (PN) always goes. Where the instance's IOD
/// requires what goes, the IOD pass writes a dummy or empty value. Free text that the IOD tables do not know at that
/// place (attributes newer than their 2008 edition) is cleaned instead of removed, since removing it could break an
/// instance whose requirements are not known. Patient information (group 0010) outside the table goes: its free text,
/// and whatever else of it the IOD tables do not know.
/// In allow-list mode dates, times, ages, AE titles and URLs go too, a Clean option applies only inside a cleaned
/// sequence, and what the IOD tables do not know is replaced by a dummy rather than cleaned. Codes (CS), numbers, UIDs, binary values and the known-safe text
/// stay; attributes the dictionary does not know go.</summary>
public static class UnlistedAttributes
{
    /// <param name="knownToIod">Some IOD of the tables defines the attribute at this place (so what they require of it
    /// is restored when it goes).</param>
    public static ProfileAction Action(DicomTag tag, DicomVR vr, DeidMode mode, bool insideCleanedSequence, bool cleanDescriptors, bool knownToIod)
    {
        if (!tag.DictionaryEntry.IsKnown)
        {
            return ProfileAction.Remove;
        }

        if (KnownSafeAttributes.Contains(tag))
        {
            return ProfileAction.Keep;
        }

        if (vr == DicomVR.PN)
        {
            return ProfileAction.Remove;
        }

        var freeText = vr == DicomVR.SH || vr == DicomVR.LO || vr == DicomVR.ST || vr == DicomVR.LT || vr == DicomVR.UT || vr == DicomVR.UC;
        if (tag.Group == 0x0010 && (freeText || !knownToIod))
        {
            return ProfileAction.Remove; // patient information: free text, or anything newer than the IOD tables (Patient's Alternative Calendar)
        }

        var allowListOnly = vr == DicomVR.DA || vr == DicomVR.DT || vr == DicomVR.TM || vr == DicomVR.AS || vr == DicomVR.AE || vr == DicomVR.UR || vr == DicomVR.UN;
        if (mode == DeidMode.AllowList)
        {
            // What the IOD tables do not know here may be required by the current standard: its value goes, a dummy
            // keeps it present (the IOD pass restores only what the tables know).
            return !freeText && !allowListOnly ? ProfileAction.Keep : vr == DicomVR.UN ? ProfileAction.Remove : insideCleanedSequence ? ProfileAction.Clean : knownToIod ? ProfileAction.Remove : ProfileAction.Dummy;
        }

        if (!freeText)
        {
            return ProfileAction.Keep;
        }

        return insideCleanedSequence || cleanDescriptors || !knownToIod ? ProfileAction.Clean : ProfileAction.Remove;
    }
}
