using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using ServerlessMed.Dicom;

namespace ServerlessMed.Deid.BurnedIn;

/// <summary>How text drawn into the pixels is looked for.</summary>
[JsonConverter(typeof(PolicyEnumConverter<BurnedInDetection>))]
public enum BurnedInDetection
{
    /// <summary>No OCR: only fixed regions and Burned In Annotation = YES decide.</summary>
    None,

    /// <summary>Tesseract OCR on the rendered frames of the instances in scope.</summary>
    Ocr,
}

/// <summary>What happens to an instance with burned-in text (detected, in a fixed region, or declared YES).</summary>
[JsonConverter(typeof(PolicyEnumConverter<BurnedInAction>))]
public enum BurnedInAction
{
    /// <summary>Fill each text box in the stored pixels of every frame, re-encode losslessly, set Burned In Annotation NO.</summary>
    Mask,

    /// <summary>Quarantine the instance: reason code burned-in-annotation when it declares Burned In Annotation = YES,
    /// burned-in-text when text was found.</summary>
    Quarantine,
}

/// <summary>The policy's <c>burnedIn</c> section (policy/schema.json). OCR runs only on the instances it puts in
/// scope: the listed modalities and SOP classes and any instance whose Burned In Annotation says YES; fixed regions
/// apply wherever their manufacturer, model and image size match, as CTP's DicomPixelAnonymizer does.</summary>
public sealed partial class BurnedInPolicy
{
    /// <summary>US, SC, XA, RF, ES, OT, DOC: the modalities whose images commonly carry burned-in identifiers.</summary>
    public static IReadOnlyList<string> DefaultModalities { get; } = ["US", "SC", "XA", "RF", "ES", "OT", "DOC"];

    public BurnedInDetection Detect { get; set; } = BurnedInDetection.Ocr;

    public BurnedInAction Action { get; set; } = BurnedInAction.Mask;

    /// <summary>Modalities (0008,0060) whose images are scanned.</summary>
    public IReadOnlyList<string> Modalities { get; set; } = DefaultModalities;

    /// <summary>SOP Class UIDs whose images are scanned, whatever their modality.</summary>
    public IReadOnlyList<string> SopClasses { get; set; } = [];

    /// <summary>Tesseract word confidence (0-100) from which a word counts as text.</summary>
    public float MinConfidence { get; set; } = 60;

    /// <summary>Pixels added on every side of a detected word before it is filled.</summary>
    public int Margin { get; set; } = 4;

    /// <summary>Frames OCR'd per instance (0: all): up to this many, evenly spaced from the first to the last. What is
    /// found in any of them is masked in every frame. Cine loops (US, XA, RF) repeat one overlay on every frame, so a
    /// sample finds it at a fraction of the cost (OCR is 0.1-1 s a frame); text that appears on unsampled frames
    /// only is missed, so a tenant with multi-page scanned documents sets 0.</summary>
    public int MaxOcrFrames { get; set; } = 8;

    /// <summary>Tesseract language data, e.g. "eng" or "eng+fra" (Debian packages tesseract-ocr-LANG).</summary>
    public string Language { get; set; } = "eng";

    /// <summary>Fixed regions masked whenever they match, detected text or not.</summary>
    public IReadOnlyList<BurnedInRegion> Regions { get; set; } = [];

    /// <summary>The section an old policy's <c>burnedInAnnotation</c> string stands for. "quarantine" (the old
    /// default, which quarantined Burned In Annotation = YES) keeps quarantining those and now also what OCR finds;
    /// "allow" turns OCR off, but an instance that declares YES is still masked by a matching fixed region or
    /// quarantined, never passed on with its text.</summary>
    public static BurnedInPolicy FromLegacy(string? burnedInAnnotation) => burnedInAnnotation switch
    {
        "quarantine" => new BurnedInPolicy { Action = BurnedInAction.Quarantine },
        "allow" => new BurnedInPolicy { Detect = BurnedInDetection.None },
        _ => new BurnedInPolicy(),
    };

    internal void Validate(string source)
    {
        const string at = "$.burnedIn";
        for (var i = 0; i < Modalities.Count; i++)
        {
            if (!CodeString().IsMatch(Modalities[i]))
            {
                throw new DeidPolicyException($"{source}: {at}.modalities[{i}]: '{Modalities[i]}' is not a modality code (1-16 of A-Z, 0-9, _ and space)");
            }
        }

        for (var i = 0; i < SopClasses.Count; i++)
        {
            if (!DicomUID.IsValid(SopClasses[i]))
            {
                throw new DeidPolicyException($"{source}: {at}.sopClasses[{i}]: '{SopClasses[i]}' is not a UID");
            }
        }

        if (MinConfidence is < 0 or > 100 || float.IsNaN(MinConfidence))
        {
            throw new DeidPolicyException($"{source}: {at}.minConfidence: must be between 0 and 100");
        }

        if (Margin is < 0 or > 64)
        {
            throw new DeidPolicyException($"{source}: {at}.margin: must be between 0 and 64 pixels");
        }

        if (MaxOcrFrames < 0)
        {
            throw new DeidPolicyException($"{source}: {at}.maxOcrFrames: must be 0 (all frames) or more");
        }

        if (!LanguageName().IsMatch(Language))
        {
            throw new DeidPolicyException($"{source}: {at}.language: must be Tesseract language names joined by '+', e.g. \"eng\" or \"eng+fra\"");
        }

        for (var i = 0; i < Regions.Count; i++)
        {
            Regions[i].Validate(source, $"{at}.regions[{i}]");
        }
    }

    [GeneratedRegex("^[A-Z0-9_ ]{1,16}$")]
    private static partial Regex CodeString();

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\+[a-z][a-z0-9_]*)*$")]
    private static partial Regex LanguageName();
}

/// <summary>Reads and writes an enum as its camelCase member name and nothing else (no numbers), as the policy's
/// other closed sets are.</summary>
public sealed class PolicyEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where T : struct, Enum;
