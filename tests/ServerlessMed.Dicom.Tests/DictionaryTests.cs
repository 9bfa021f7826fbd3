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

    /// <summary>Every row, looked up by its tag and by its keyword, gives back the standard's keyword,
    /// VRs, VM, retired flag and name (whitespace as scripts/generate-standard.py folds it): rows are built on first use, so each must be found and read whole.</summary>
    [Fact]
    public void Every_row_resolves_by_tag_and_keyword_to_the_standard_values()
    {
        var rows = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ServerlessMed.Testing.Corpus.StandardDirectory, "attributes.json"))).RootElement;
        var exact = rows.EnumerateArray().Select(r => r.GetProperty("id").GetString()!.ToUpperInvariant()).Where(i => !i.Contains('X', StringComparison.Ordinal)).ToHashSet();
        var checkedRows = 0;
        Parallel.ForEach(rows.EnumerateArray().ToList(), row =>
        {
            // A repeating-group row (x digits) is looked up through a tag no exact row holds: (0028,04x0) at 0400 is Transform Label.
            var pattern = row.GetProperty("id").GetString()!.ToUpperInvariant();
            var id = "0123456789ABCDEF".Select(d => pattern.Replace('X', d)).First(c => c == pattern || !exact.Contains(c));
            var tag = new DicomTag(Convert.ToUInt32(id, 16));
            var keyword = row.GetProperty("keyword").GetString()!.Trim();
            Assert.True(DicomDictionary.Default.TryGet(tag, out var e), $"{id} not found");
            Assert.Equal(keyword, e.Keyword);
            Assert.Equal(string.Join(' ', row.GetProperty("name").GetString()!.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), e.Name);
            var vm = row.GetProperty("valueMultiplicity").GetString()!.Trim();
            Assert.Equal(vm.Length > 0 ? vm : "1", e.ValueMultiplicity); // the generator's reading of a row with no VM
            Assert.Equal(row.GetProperty("retired").GetString() == "Y", e.IsRetired);
            var vr = row.GetProperty("valueRepresentation").GetString()!;
            if (vr.Length > 0 && !vr.StartsWith("See", StringComparison.Ordinal))
            {
                Assert.Equal(vr.Split(" or ").Select(v => v.Trim()).ToArray(), e.ValueRepresentations.Select(v => v.Code).ToArray());
            }

            if (keyword.Length > 0)
            {
                Assert.Same(e, DicomDictionary.Default.FindByKeyword(keyword));
            }

            Interlocked.Increment(ref checkedRows);
        });
        Assert.Equal(rows.GetArrayLength(), checkedRows);
        Assert.False(DicomDictionary.Default.TryGet(new DicomTag(0x0009, 0x1001), out _));
        Assert.False(DicomDictionary.Default.TryGet(new DicomTag(0x0008, 0x0003), out _));
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
