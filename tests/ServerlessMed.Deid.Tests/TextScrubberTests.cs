using ServerlessMed.Dicom;

namespace ServerlessMed.Deid.Tests;

/// <summary>The C action's cleaner: the instance's own identifiers by token, identifier shapes by pattern, and a
/// control that text without identifiers is left as it was.</summary>
public sealed class TextScrubberTests
{
    private static TextScrubber Scrubber()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        ds.AddOrUpdate(DicomTag.PatientName, DicomVR.PN, "Quuxley^Zebulon^Marek=久留^善文");
        ds.AddOrUpdate(DicomTag.PatientID, DicomVR.LO, "QX-7731904");
        ds.AddOrUpdate(DicomTag.AccessionNumber, DicomVR.SH, "ACC99183");
        ds.AddOrUpdate(DicomTag.InstitutionAddress, DicomVR.ST, "42 Wallaby Way, Quarryville");
        ds.AddOrUpdate(DicomTag.StudyDescription, DicomVR.LO, "CHEST"); // a descriptor, not an identifier
        var observer = new DicomDataset();
        observer.AddOrUpdate(DicomTag.VerifyingObserverName, DicomVR.PN, "Vandermolen^Hester");
        ds.AddOrUpdate(new DicomSequence(DicomTag.VerifyingObserverSequence, [observer]));
        return TextScrubber.FromDataset(ds, uid => "2.25.1" + uid.Length);
    }

    [Theory]
    [InlineData("zebulon QUUXLEY, Marek", "*** ***, ***")] // any order, any case
    [InlineData("Hester Vandermolen called", "*** *** called")] // a name nested in a sequence
    [InlineData("MRN QX-7731904 acc ACC99183", "MRN *** acc ***")]
    [InlineData("lives at 42 Wallaby Way, Quarryville", "lives at ***")]
    [InlineData("moved to Quarryville", "moved to ***")] // a part of an address alone
    [InlineData("患者 久留善文 様", "患者 ****** 様")]
    [InlineData("born 1961-03-12, 12/03/1961, 19610312, March 12, 1961 and 12 Mar 1961", "born ***, ***, ***, *** and ***")]
    [InlineData("call (617) 555-0142 or +44 20 7946 0958", "call *** or ***")]
    [InlineData("chart # 0044-1923, SSN 123-45-6789, ref 99817263", "chart # ***, SSN ***, ref ***")]
    [InlineData("prior 1.2.826.0.1.3680043.9.9999.7.42 compared", "prior 2.25.131 compared")]
    public void Identifiers_are_removed(string text, string expected) => Assert.Equal(expected, Scrubber().Clean(text));

    [Theory]
    [InlineData("Nodule 12.5 mm in the right upper lobe, stable since the prior study.")]
    [InlineData("CHEST PA and lateral; Liver unremarkable; 3 of 4 lesions; 120 kV")]
    [InlineData("Rod Stewart? no: Li and Marekova are not this patient")]
    public void Text_without_identifiers_is_unchanged(string text) => Assert.Equal(text, Scrubber().Clean(text));
}
