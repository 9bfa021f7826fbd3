using System.Globalization;
using ServerlessMed.Deid.Iod;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;

namespace ServerlessMed.Deid;

/// <summary>The D action's values: non-empty, valid for the VR and for the attribute's least value multiplicity, and
/// an Enumerated Value where PS3.3 lists them. They carry nothing of the input.</summary>
public static class DummyValues
{
    /// <summary>The UID written where a required UID has no original to map (the nil UUID, PS3.5 B.2).</summary>
    public const string Uid = "2.25.0";

    public static DicomElement Element(DicomTag tag, DicomVR vr, long originalLength = 0, IodAttributeRule? rule = null)
    {
        var count = LeastMultiplicity(tag);
        string? text = vr.Code switch
        {
            "AE" => "ANONYMOUS",
            "AS" => "000D",
            "CS" => rule?.EnumeratedValue ?? "ANONYMIZED",
            "DA" => "19000101",
            "DT" => "19000101000000",
            "TM" => "000000",
            "DS" or "IS" => "0",
            "LO" or "LT" or "ST" or "UT" or "UC" or "PN" => "ANONYMIZED",
            "SH" => "ANON",
            "UI" => Uid,
            "UR" => "http://anonymized",
            _ => null,
        };
        if (text is not null)
        {
            var values = Enumerable.Repeat(text, vr.IsMultiValuedString ? count : 1).ToArray();
            return new DicomElement(tag, vr, DicomBuffer.FromBytes(DicomValueCodec.EncodeStrings(values, vr, DicomEncoding.Default)));
        }

        // Binary: zeros, the least number of values (or the original length for OB/OW data, at most 1 KiB).
        var length = vr.MaxLength > 0 ? vr.UnitSize * count : Math.Min(originalLength, 1024);
        return new DicomElement(tag, vr, DicomBuffer.FromBytes(new byte[Math.Max(length + (length & 1), 2)]));
    }

    /// <summary>The zero-length value of the Z action (an empty sequence for SQ).</summary>
    public static DicomItem Empty(DicomTag tag, DicomVR vr) =>
        vr == DicomVR.SQ ? new DicomSequence(tag) : new DicomElement(tag, vr, DicomBuffer.Empty);

    /// <summary>The VR to write for a tag: the element's own unless it is UN, else the dictionary's first.</summary>
    public static DicomVR VRFor(DicomTag tag, DicomItem? original) =>
        original is not null && original.ValueRepresentation != DicomVR.UN ? original.ValueRepresentation : tag.DictionaryEntry.DefaultVR;

    /// <summary>"1" → 1, "2-2n" → 2, "3" → 3, "1-n" → 1 (PS3.6 VM notation).</summary>
    private static int LeastMultiplicity(DicomTag tag)
    {
        var vm = tag.DictionaryEntry.ValueMultiplicity;
        var digits = vm.AsSpan();
        var end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end]))
        {
            end++;
        }

        return end > 0 && int.TryParse(digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 16 ? n : 1;
    }
}
