using ServerlessMed.Deid.BurnedIn;

namespace ServerlessMed.Deid.Tests.BurnedIn;

/// <summary>The policy's burnedIn section: closed sets are enums, defaults match the issue (OCR and mask on US, SC,
/// XA, RF, ES, OT, DOC), the old burnedInAnnotation string still loads, and every mistake names its field.</summary>
public sealed class BurnedInPolicyTests
{
    [Fact]
    public void Defaults_scan_the_modalities_that_carry_burned_in_text_and_mask()
    {
        var p = DeidPolicy.Parse("{}").BurnedIn;
        Assert.Equal(BurnedInDetection.Ocr, p.Detect);
        Assert.Equal(BurnedInAction.Mask, p.Action);
        Assert.Equal(["US", "SC", "XA", "RF", "ES", "OT", "DOC"], p.Modalities);
        Assert.Same(DeidPolicy.Default.BurnedIn.Modalities, BurnedInPolicy.DefaultModalities);
    }

    [Fact]
    public void The_section_reads_and_writes_camel_case_names()
    {
        var policy = DeidPolicy.Parse("""
            {"burnedIn": {"detect": "none", "action": "quarantine", "modalities": ["US"], "sopClasses": ["1.2.840.10008.5.1.4.1.1.7"],
              "minConfidence": 70, "margin": 2, "maxOcrFrames": 0, "language": "eng+fra",
              "regions": [{"manufacturer": "ACME", "rows": 480, "columns": 640, "boxes": [{"x": 0, "y": 0, "width": 640, "height": 40}]}]}}
            """);
        var p = policy.BurnedIn;
        Assert.Equal((BurnedInDetection.None, BurnedInAction.Quarantine, 70f, 2, 0, "eng+fra"), (p.Detect, p.Action, p.MinConfidence, p.Margin, p.MaxOcrFrames, p.Language));
        Assert.Equal(new RegionBox(0, 0, 640, 40), Assert.Single(Assert.Single(p.Regions).Boxes));
        var json = policy.ToJson();
        Assert.Contains("\"detect\": \"none\"", json, StringComparison.Ordinal);
        Assert.Contains("\"action\": \"quarantine\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("burnedInAnnotation", json, StringComparison.Ordinal);
        Assert.Equal(BurnedInAction.Quarantine, DeidPolicy.Parse(json).BurnedIn.Action);
    }

    [Theory]
    [InlineData("quarantine", BurnedInDetection.Ocr, BurnedInAction.Quarantine)]
    [InlineData("allow", BurnedInDetection.None, BurnedInAction.Mask)]
    public void The_old_burned_in_annotation_string_still_loads(string legacy, BurnedInDetection detect, BurnedInAction action)
    {
        var p = DeidPolicy.Parse($$"""{"burnedInAnnotation": "{{legacy}}"}""").BurnedIn;
        Assert.Equal((detect, action), (p.Detect, p.Action));
    }

    [Theory]
    [InlineData("""{"burnedIn": {"action": "blur"}}""", "$.burnedIn.action", "must be one of mask, quarantine")]
    [InlineData("""{"burnedIn": {"action": 1}}""", "$.burnedIn.action", "must be one of mask, quarantine")]
    [InlineData("""{"burnedIn": {"detect": "tesseract"}}""", "$.burnedIn.detect", "must be one of none, ocr")]
    [InlineData("""{"burnedIn": {"modalities": ["us"]}}""", "$.burnedIn.modalities[0]", "not a modality code")]
    [InlineData("""{"burnedIn": {"sopClasses": ["1.2.x"]}}""", "$.burnedIn.sopClasses[0]", "not a UID")]
    [InlineData("""{"burnedIn": {"minConfidence": 101}}""", "$.burnedIn.minConfidence", "between 0 and 100")]
    [InlineData("""{"burnedIn": {"margin": -1}}""", "$.burnedIn.margin", "between 0 and 64")]
    [InlineData("""{"burnedIn": {"maxOcrFrames": -2}}""", "$.burnedIn.maxOcrFrames", "0 (all frames)")]
    [InlineData("""{"burnedIn": {"language": "../eng"}}""", "$.burnedIn.language", "Tesseract language")]
    [InlineData("""{"burnedIn": {"regions": [{"boxes": [{"x": 0, "y": 0, "width": 5, "height": 5}]}]}}""", "$.burnedIn.regions[0]", "at least one of manufacturer")]
    [InlineData("""{"burnedIn": {"regions": [{"rows": 480, "boxes": []}]}}""", "$.burnedIn.regions[0].boxes", "at least one box")]
    [InlineData("""{"burnedIn": {"regions": [{"rows": 480, "boxes": [{"x": 0, "y": 0, "width": 0, "height": 5}]}]}}""", "$.burnedIn.regions[0].boxes[0]", "width and height 1 or more")]
    [InlineData("""{"burnedIn": {"regions": [{"rows": 480, "boxes": [{"x": 0, "y": 0, "width": 5}]}]}}""", "$.burnedIn.regions[0].boxes[0]", "height")]
    [InlineData("""{"burnedIn": {"colour": "red"}}""", "colour", "")]
    [InlineData("""{"burnedInAnnotation": "quarantine", "burnedIn": {}}""", "$.burnedInAnnotation", "superseded by $.burnedIn")]
    public void Mistakes_name_the_field_and_what_is_allowed(string json, string field, string says)
    {
        var e = Assert.Throws<DeidPolicyException>(() => DeidPolicy.Parse(json, "tenant.json"));
        Assert.StartsWith("tenant.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 32, new[] { 0 })]
    [InlineData(5, 32, new[] { 0, 1, 2, 3, 4 })]
    [InlineData(5, 0, new[] { 0, 1, 2, 3, 4 })]
    [InlineData(100, 3, new[] { 0, 49, 99 })]
    [InlineData(100, 1, new[] { 0 })]
    public void Frames_to_scan_are_all_or_evenly_spaced_from_first_to_last(int count, int max, int[] expected) =>
        Assert.Equal(expected, BurnedInTextMasker.FramesToScan(count, max));
}
