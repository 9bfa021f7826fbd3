using ServerlessMed.Dicom;

namespace ServerlessMed.Dicom.Tests;

public sealed class DictionaryTests
{
    [Fact]
    public void Keyword_constants_match_the_standard()
    {
        Assert.Equal(new DicomTag(0x0010, 0x0010), DicomTag.PatientName);
        Assert.Equal(DicomVR.PN, DicomTag.PatientName.DictionaryEntry.DefaultVR);
        Assert.Equal("PatientName", DicomTag.PatientName.DictionaryEntry.Keyword);
        Assert.Equal(new DicomTag(0x7FE0, 0x0010), DicomTag.PixelData);
    }

    [Fact]
    public void Repeating_groups_resolve_through_their_mask()
    {
        var overlayData = new DicomTag(0x6002, 0x3000).DictionaryEntry;
        Assert.Equal("OverlayData", overlayData.Keyword);
        Assert.Equal(DicomVR.OB, overlayData.ValueRepresentations[0]);
        Assert.Contains(DicomVR.OW, overlayData.ValueRepresentations);
        Assert.Equal("CurveData", new DicomTag(0x5010, 0x3000).DictionaryEntry.Keyword);
    }

    [Fact]
    public void Private_tags_are_creators_or_unknown()
    {
        Assert.Equal(DicomVR.LO, new DicomTag(0x0009, 0x0010).DictionaryEntry.DefaultVR);
        Assert.Equal(DicomVR.UN, new DicomTag(0x0009, 0x1001).DictionaryEntry.DefaultVR);
        Assert.Equal(new DicomTag(0x0009, 0x0010), new DicomTag(0x0009, 0x1001).PrivateCreatorTag);
    }

    [Fact]
    public void Dictionary_holds_every_row_of_the_standard()
    {
        var rows = File.ReadAllText(Path.Combine(ServerlessMed.Testing.Corpus.StandardDirectory, "attributes.json"));
        var count = System.Text.Json.JsonDocument.Parse(rows).RootElement.GetArrayLength();
        Assert.Equal(count, DicomDictionary.Default.Count);
    }

    [Theory]
    [InlineData("(0010,0010)")]
    [InlineData("00100010")]
    [InlineData("PatientName")]
    public void Tags_parse_from_every_usual_form(string text) => Assert.Equal(DicomTag.PatientName, DicomTag.Parse(text));

    [Fact]
    public void Sop_class_names_come_from_the_standard() =>
        Assert.Equal("CT Image Storage", DicomUID.GetSopClassName("1.2.840.10008.5.1.4.1.1.2"));
}
