using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests;

/// <summary>The keyed fingerprints the export's leak gate compares text with: identifiers found however they are
/// written, ordinary and de-identified text not flagged, nothing readable stored.</summary>
public sealed class IdentifierFingerprintTests
{
    private static readonly TenantKey Key = new([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    private static DicomDataset Original()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTag.PatientName, "Kowalczyk^Agnieszka^Maria");
        ds.AddOrUpdate(DicomTag.PatientID, "MRN-0042917");
        ds.AddOrUpdate(DicomTag.PatientBirthDate, "19610307");
        ds.AddOrUpdate(DicomTag.StudyDate, "20240215");
        ds.AddOrUpdate(DicomTag.AccessionNumber, "ACC77812");
        ds.AddOrUpdate(DicomTag.StudyID, "77.1.6");
        ds.AddOrUpdate(DicomTag.InstitutionName, "St Brigid Infirmary");
        ds.AddOrUpdate(DicomTag.ReferringPhysicianName, "Okonkwo^Chidi");
        ds.AddOrUpdate(DicomTag.StudyInstanceUID, "1.2.826.0.1.3680043.8.498.1234567");
        ds.AddOrUpdate(DicomTag.SOPClassUID, "1.2.826.0.1.3680043.9.7777.1"); // a private SOP class: in no registry
        ds.AddOrUpdate(DicomTag.TransferSyntaxUID, "1.2.840.10008.1.2.1");
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTag.ReferencedSOPInstanceUID, "1.2.826.0.1.3680043.8.498.7654321");
        ds.AddOrUpdate(new DicomSequence(DicomTag.ReferencedImageSequence, [item]));
        return ds;
    }

    private static IdentifierFingerprints Gate()
    {
        var gate = new IdentifierFingerprints(Key);
        gate.Add(IdentifierFingerprints.Of(Original(), Key));
        return gate;
    }

    [Theory]
    [InlineData("CT chest for KOWALCZYK")]
    [InlineData("agnieszka follow-up")]
    [InlineData("Maria Kowalczyk, 2nd visit")]
    [InlineData("patient mrn 0042917")]
    [InlineData("MRN-0042917")]
    [InlineData("born 1961-03-07")]
    [InlineData("study of 2024/02/15")]
    [InlineData("acc77812")]
    [InlineData("study 77.1.6 of the series")]
    [InlineData("sent from st  brigid   infirmary")]
    [InlineData("ref. dr okonkwo")]
    [InlineData("see 1.2.826.0.1.3680043.8.498.1234567 prior")]
    [InlineData("prior image 1.2.826.0.1.3680043.8.498.7654321.")]
    [InlineData("ＫＯＷＡＬＣＺＹＫ")] // full-width letters fold to the same word
    public void An_identifier_is_found_however_it_is_written(string text) => Assert.True(Gate().Matches(text), text);

    [Theory]
    [InlineData("CT CHEST W/O CONTRAST")]
    [InlineData("a ct scan of the chest, high detail")]
    [InlineData("1.2.840.10008.5.1.4.1.1.2")] // a registry UID (SOP class) identifies nobody
    [InlineData("1.2.826.0.1.3680043.9.7777.1")] // nor does a class UID outside the registry (the profile keeps it)
    [InlineData("2.25.101955618329513845296870043167218473955")]
    [InlineData("dpm++2m-karras")]
    [InlineData("")]
    [InlineData("1.2.840.10008.5.1.4.1.1.77.1.6")] // its components spell the study id "77 1 6", but a UID is one value
    public void Ordinary_and_de_identified_text_is_not_flagged(string text) => Assert.False(Gate().Matches(text), text);

    [Fact]
    public void Fingerprints_hold_no_readable_value_and_depend_on_the_key()
    {
        var stored = IdentifierFingerprints.Of(Original(), Key);
        Assert.All(stored, f => Assert.Matches("^[0-9a-f]{32}$", f));
        var text = string.Join('\n', stored);
        foreach (var v in new[] { "kowalczyk", "0042917", "19610307", "1234567" })
        {
            Assert.DoesNotContain(v, text, StringComparison.OrdinalIgnoreCase);
        }

        var other = new TenantKey([.. Enumerable.Range(100, 32).Select(i => (byte)i)]);
        Assert.Empty(stored.Intersect(IdentifierFingerprints.Of(Original(), other)));
        var wrongKey = new IdentifierFingerprints(other);
        wrongKey.Add(stored);
        Assert.False(wrongKey.Matches("Kowalczyk"));
    }

    [Fact]
    public void Every_corpus_instance_name_and_id_is_found_in_text_after_its_fingerprints_are_recorded()
    {
        var checkedCount = 0;
        foreach (var f in Corpus.WellFormed.Take(60))
        {
            DicomDataset ds;
            try
            {
                ds = DicomFile.Open(f.FullPath).Dataset;
            }
            catch (DicomException)
            {
                continue;
            }

            var gate = new IdentifierFingerprints(Key);
            gate.Add(IdentifierFingerprints.Of(ds, Key));
            foreach (var value in TextScrubber.IdentifyingValues(ds).Where(v => v.Trim().Length >= IdentifierFingerprints.MinLength && v.Any(char.IsLetterOrDigit)))
            {
                Assert.True(gate.Matches($"note: {value.ToUpperInvariant()} (copied)"), $"{f.RelativePath}: a value of length {value.Length} was not found");
                checkedCount++;
            }
        }

        Assert.True(checkedCount > 20, $"{checkedCount} values checked");
    }
}
