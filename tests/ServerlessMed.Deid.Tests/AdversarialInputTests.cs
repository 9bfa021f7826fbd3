using System.Text.Json;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests;

/// <summary>The inputs tests/tools/build_phi_inputs.py builds with pydicom: one patient's identifiers planted in a
/// presentation state (Latin-1), a structured report (UTF-8) and a CT image (ISO 2022 IR 87), built once per run.</summary>
public sealed class AdversarialInputs : IDisposable
{
    public AdversarialInputs()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("smed-planted").FullName;
        var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "tests", "tools", "build_phi_inputs.py"), Directory]);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        using var planted = JsonDocument.Parse(File.ReadAllText(PlantedJson));
        QuotedUid = planted.RootElement.GetProperty("quotedUid").GetString()!;
        StudyUid = planted.RootElement.GetProperty("studyUid").GetString()!;
    }

    public string Directory { get; }

    public string PlantedJson => Path.Combine(Directory, "planted.json");

    public string QuotedUid { get; }

    public string StudyUid { get; }

    public string PresentationState => Path.Combine(Directory, "pr.dcm");

    public string Report => Path.Combine(Directory, "sr.dcm");

    public string Image => Path.Combine(Directory, "ct.dcm");

    public IEnumerable<string> All => [PresentationState, Report, Image];

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>Issue 17, items 2-6 and the allow-list mode: every planted identifier is gone from every output under every
/// policy (scanned by an independent pydicom tool), and no output gains a dciodvfy error its input did not have.</summary>
public sealed class AdversarialInputTests(AdversarialInputs inputs) : IClassFixture<AdversarialInputs>
{
    private static readonly TenantKey Key = new([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    public static TheoryData<string> Policies() =>
    [
        "default", "cleanStructuredContent", "cleanGraphics", "cleanDescriptors", "retainLongitudinalModifiedDates",
        "allowList", "allowList+cleanStructuredContent+cleanGraphics+cleanDescriptors",
    ];

    public static TheoryData<string, string> PoliciesAndFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var p in Policies())
        {
            foreach (var f in new[] { "pr", "sr", "ct" })
            {
                data.Add(p, f);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void No_planted_identifier_survives_in_any_output(string policyName)
    {
        var dir = Directory.CreateTempSubdirectory("smed-planted-out").FullName;
        var outputs = new List<string>();
        foreach (var input in inputs.All)
        {
            var result = Deidentifier(policyName).Deidentify(DicomFile.Open(input));
            var output = Path.Combine(dir, Path.GetFileName(input));
            result.File.Save(output);
            var audit = Path.ChangeExtension(output, ".audit.json");
            File.WriteAllText(audit, JsonSerializer.Serialize(result.Audit));
            outputs.AddRange([output, audit]);
        }

        var scan = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "tests", "tools", "find_planted.py"), inputs.PlantedJson, .. outputs]);
        Directory.Delete(dir, recursive: true);
        Assert.True(scan.ExitCode == 0 && scan.StdOut.Contains("findings: 0", StringComparison.Ordinal), policyName + ": " + scan.StdOut + scan.StdErr);
    }

    [Fact]
    public void The_planted_scan_finds_the_inputs_themselves()
    {
        var scan = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "tests", "tools", "find_planted.py"), inputs.PlantedJson, .. inputs.All]);
        Assert.Equal(1, scan.ExitCode);
        Assert.Matches(@"findings: [1-9]\d+", scan.StdOut);
    }

    [Theory]
    [MemberData(nameof(PoliciesAndFiles))]
    public void Output_has_no_dciodvfy_error_its_input_did_not_have(string policyName, string file)
    {
        var input = Path.Combine(inputs.Directory, file + ".dcm");
        var output = Path.Combine(Path.GetTempPath(), "smed-planted-iod-" + Guid.NewGuid().ToString("N") + ".dcm");
        Deidentifier(policyName).Deidentify(DicomFile.Open(input)).File.Save(output);
        var added = Dciodvfy.Errors(output).Except(Dciodvfy.Errors(input)).ToList();
        File.Delete(output);
        Assert.True(added.Count == 0, $"{policyName} {file}: {string.Join("; ", added)}");
    }

    [Fact]
    public void D_on_a_sequence_replaces_its_content()
    {
        var ds = Run(inputs.Report);

        // Operator Identification Sequence (X/D; Type 3 here) and the Person Identification Code Sequence in it go.
        Assert.False(ds.Contains(DicomTag.OperatorIdentificationSequence));

        // Verifying Observer Sequence (D; Type 1C with Verification Flag VERIFIED): one item of dummy values.
        var observer = Assert.Single(ds.GetSequence(DicomTag.VerifyingObserverSequence).Items);
        Assert.Equal("ANONYMIZED", observer.GetString(DicomTag.VerifyingObserverName));
        Assert.Equal("ANONYMIZED", observer.GetString(DicomTag.VerifyingOrganization));
        Assert.Equal("19000101000000", observer.GetString(DicomTag.VerificationDateTime));
        Assert.Empty(observer.GetSequence(DicomTag.VerifyingObserverIdentificationCodeSequence).Items);
    }

    [Fact]
    public void Without_clean_structured_content_every_text_value_goes_and_the_tree_stays()
    {
        var ds = Run(inputs.Report);
        var texts = TextValues(ds).ToList();
        Assert.Equal(3, texts.Count); // depths 1, 2 and 3
        Assert.All(texts, t => Assert.Equal("ANONYMIZED", t));
        var items = ds.GetSequence(DicomTag.ContentSequence).Items;
        Assert.Equal(6, items.Count);
        Assert.Equal("ANONYMIZED", items[1].GetString(DicomTag.PersonName));
        Assert.Equal("19000101", items[2].GetString(DicomTag.Date));
        Assert.Equal(new KeyedMapper(Key, DeidPolicy.Default).MapUid(inputs.StudyUid), items[3].GetString(DicomTag.UID));
        Assert.Equal("Lung", items[4].GetSequence(DicomTag.ConceptCodeSequence).Items[0].GetString(DicomTag.CodeMeaning));
    }

    [Fact]
    public void Clean_structured_content_removes_identifying_tokens_and_maps_quoted_uids()
    {
        var ds = Run(inputs.Report, "cleanStructuredContent");
        var texts = TextValues(ds).ToList();
        Assert.Equal(3, texts.Count);
        var history = texts[0];
        Assert.Contains("MRN", history, StringComparison.Ordinal);
        Assert.Contains("Nodule 12.5 mm, stable.", history, StringComparison.Ordinal); // what is not an identifier stays
        Assert.Contains(new KeyedMapper(Key, DeidPolicy.Default).MapUid(inputs.QuotedUid), history, StringComparison.Ordinal);
        Assert.Contains("Sister", texts[1], StringComparison.Ordinal);
        Assert.Contains("患者", texts[2], StringComparison.Ordinal);
        Assert.Contains(TextScrubber.Removed, texts[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Presentation_state_annotation_text_is_removed_or_cleaned_under_clean_graphics()
    {
        // Graphic Annotation Sequence is D: its module is absent once it goes, so nothing replaces it.
        Assert.False(Run(inputs.PresentationState).Contains(DicomTag.GraphicAnnotationSequence));

        var cleaned = Run(inputs.PresentationState, "cleanGraphics").GetSequence(DicomTag.GraphicAnnotationSequence).Items[0];
        var text = cleaned.GetSequence(DicomTag.TextObjectSequence).Items[0].GetString(DicomTag.UnformattedTextValue);
        Assert.StartsWith("*** *** DOB *** MRN ***", text, StringComparison.Ordinal);
        Assert.Single(cleaned.GetSequence(DicomTag.GraphicObjectSequence).Items);
    }

    [Fact]
    public void What_the_iod_requires_is_restored_and_dependents_go_with_their_parent()
    {
        var pr = Run(inputs.PresentationState);
        Assert.Equal("19000101", pr.GetString(DicomTag.PresentationCreationDate)); // Type 1 here, X in the table
        Assert.Equal("000000", pr.GetString(DicomTag.PresentationCreationTime));
        Assert.Equal(string.Empty, pr.GetString(DicomTag.ContentDescription)); // Type 2, free text outside the table
        Assert.Equal(string.Empty, pr.GetString(DicomTag.ResponsiblePerson)); // X in the table; 2C (the patient is an animal)
        Assert.False(pr.Contains(DicomTag.ResponsiblePersonRole), "1C: required if Responsible Person is present and has a value");
        Assert.Equal(string.Empty, pr.GetString(DicomTag.ResponsibleOrganization)); // 2C, X in the table

        var request = Run(inputs.Report).GetSequence(DicomTag.ReferencedRequestSequence).Items[0];
        Assert.Equal(string.Empty, request.GetString(DicomTag.RequestedProcedureID)); // X in the table, Type 2 here
        Assert.Equal(string.Empty, request.GetString(DicomTag.PlacerOrderNumberImagingServiceRequest));
        Assert.Equal(string.Empty, request.GetString(DicomTag.RequestedProcedureDescription));

        // Under Retain Longitudinal Modified Dates the creation date is kept, shifted.
        var shifted = Run(inputs.PresentationState, "retainLongitudinalModifiedDates").GetString(DicomTag.PresentationCreationDate);
        Assert.NotEqual("19000101", shifted);
        Assert.NotEqual("20240507", shifted);
    }

    [Fact]
    public void Free_text_outside_the_table_is_removed_or_cleaned()
    {
        var ct = Run(inputs.Image);
        Assert.False(ct.Contains(new DicomTag(0x0010, 0x0033)), "Birth Date in Alternative Calendar is patient information");
        Assert.False(ct.Contains(new DicomTag(0x0042, 0x0010)), "Document Title is free text the IOD does not require");
        // Unknown to the IOD tables at the top level: cleaned, and written back in ISO 2022 IR 87.
        Assert.Equal("Drug for *** *** ******様", ct.GetString(new DicomTag(0x0018, 0x0034)));
        Assert.False(ct.Contains(DicomTag.PersonIdentificationCodeSequence), "D, and nothing requires it here");
        Assert.Equal("Acme Scanners", ct.GetString(DicomTag.Manufacturer)); // known safe
        Assert.Equal("STANDARD", ct.GetString(DicomTag.ConvolutionKernel));
        Assert.Equal("20250101120000", ct.GetString(new DicomTag(0x0008, 0x0416))); // a date outside the table stays
        Assert.False(ct.Contains(new DicomTag(0x0018, 0x9998)), "unknown public attributes go");

        var descriptors = Run(inputs.Image, "cleanDescriptors");
        Assert.Equal("Report for ***, ***", descriptors.GetString(new DicomTag(0x0042, 0x0010)));
    }

    [Fact]
    public void Allow_list_keeps_only_what_is_known_to_be_safe()
    {
        var ct = Run(inputs.Image, "allowList");
        // Free text not on the safe list goes, cleaned or not; so does a date outside the table. Where the IOD tables
        // do not know the attribute at that place (either here), a dummy keeps it present; where they do, it goes.
        Assert.Equal("ANONYMIZED", ct.GetString(new DicomTag(0x0018, 0x0034)));
        Assert.Equal("19000101000000", ct.GetString(new DicomTag(0x0008, 0x0416)));
        Assert.False(ct.Contains(new DicomTag(0x0042, 0x0010)));
        Assert.Equal("Acme Scanners", ct.GetString(DicomTag.Manufacturer));
        Assert.Equal("STANDARD", ct.GetString(DicomTag.ConvolutionKernel));
        Assert.Equal("HFS", ct.GetString(DicomTag.PatientPosition)); // codes stay
        Assert.Equal("120", ct.GetString(DicomTag.KVP)); // numbers stay
        Assert.Equal(8, ct.GetValue<ushort>(DicomTag.Rows));
        Assert.True(ct.Contains(DicomTag.PixelData));

        // The basic profile, same input: the safe text and the unlisted date stay, the unlisted free text is cleaned.
        var basic = Run(inputs.Image);
        Assert.True(basic.Contains(new DicomTag(0x0018, 0x0034)));
        Assert.True(basic.Contains(new DicomTag(0x0008, 0x0416)));
    }

    [Fact]
    public void Allow_list_mode_is_read_from_the_policy_and_named_in_the_method()
    {
        var policy = DeidPolicy.Parse("""{"mode": "allowList", "options": ["cleanDescriptors"]}""", "tenant.json");
        Assert.Equal(DeidMode.AllowList, policy.Mode);
        var result = new Deidentifier(Key, policy).Deidentify(DicomFile.Open(inputs.Image));
        Assert.Equal("ServerlessMed PS3.15 Basic Profile allow-list + CleanDescriptors", result.File.Dataset.GetString(DicomTag.DeidentificationMethod));
        Assert.EndsWith("allow-list mode", result.Audit.Profile, StringComparison.Ordinal);
        Assert.Equal(DeidMode.BasicProfile, DeidPolicy.Parse("{}").Mode);
        var e = Assert.Throws<DeidPolicyException>(() => DeidPolicy.Parse("""{"mode": "denyList"}""", "tenant.json"));
        Assert.Contains("$.mode", e.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> TextValues(DicomDataset ds)
    {
        foreach (var item in ds.TryGetSequence(DicomTag.ContentSequence, out var sq) ? sq.Items : [])
        {
            if (item.Contains(DicomTag.TextValue))
            {
                yield return item.GetString(DicomTag.TextValue);
            }

            foreach (var nested in TextValues(item))
            {
                yield return nested;
            }
        }
    }

    private static DicomDataset Run(string path, string policyName = "default") =>
        Deidentifier(policyName).Deidentify(DicomFile.Open(path)).File.Dataset;

    private static Deidentifier Deidentifier(string policyName)
    {
        var parts = policyName.Split('+');
        var mode = parts[0] == "allowList" ? DeidMode.AllowList : DeidMode.BasicProfile;
        var options = parts.Where(p => p is not ("default" or "allowList")).Select(p => Enum.Parse<DeidOption>(p, ignoreCase: true)).ToArray();
        return new Deidentifier(Key, new DeidPolicy { Mode = mode, Options = options });
    }
}
