using ServerlessMed.Deid.Iod;
using ServerlessMed.Dicom;
using ServerlessMed.Testing;

namespace ServerlessMed.Deid.Tests;

/// <summary>The generated IOD table: up to date with its generator and source, and read as PS3.3 says.</summary>
public sealed class IodTableTests
{
    [Fact]
    public void The_checked_in_table_is_what_the_generator_makes_from_gdcm_part3()
    {
        var dir = Directory.CreateTempSubdirectory("smed-iod").FullName;
        var output = Path.Combine(dir, "iod-attributes.tsv");
        var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(Corpus.RepoRoot, "scripts", "generate-iod.py"), "--standard", Corpus.StandardDirectory, "--out", output]);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("PS3.3 edition 2008", r.StdOut, StringComparison.Ordinal);
        var generated = File.ReadAllText(output);
        Directory.Delete(dir, recursive: true);
        Assert.True(generated == File.ReadAllText(Path.Combine(Corpus.RepoRoot, "src", "ServerlessMed.Deid", "Iod", "iod-attributes.tsv")), "run scripts/generate-iod.py and commit its output");
    }

    [Fact]
    public void Types_conditions_and_nesting_are_those_of_ps3_3()
    {
        var table = IodTable.Standard;
        var gsps = table.Find("1.2.840.10008.5.1.4.1.1.11.1");
        Assert.Equal("Grayscale Softcopy Presentation State", gsps.Name);
        var present = gsps.PresentModules(new DicomDataset());
        Assert.Equal(IodAttributeType.Required, gsps.TopLevel(DicomTag.PresentationCreationDate.Value, present)!.Type);
        Assert.Equal(DicomTag.ResponsiblePerson.Value, gsps.TopLevel(DicomTag.ResponsiblePersonRole.Value, present)!.DependsOn);
        Assert.Null(gsps.TopLevel(DicomTag.GraphicAnnotationSequence.Value, present)); // a conditional module the instance does not have
        var annotated = new DicomDataset();
        annotated.AddOrUpdate(new DicomSequence(DicomTag.GraphicAnnotationSequence));
        Assert.Equal(IodAttributeType.Required, gsps.TopLevel(DicomTag.GraphicAnnotationSequence.Value, gsps.PresentModules(annotated))!.Type);

        var sr = table.Find("1.2.840.10008.5.1.4.1.1.88.33");
        Assert.Equal(IodAttributeType.ConditionallyRequired, sr.Nested(DicomTag.ContentSequence.Value, DicomTag.TextValue.Value)!.Type);
        Assert.Equal(IodAttributeType.RequiredMayBeEmpty, sr.Nested(DicomTag.ReferencedRequestSequence.Value, DicomTag.RequestedProcedureID.Value)!.Type);
        Assert.Equal(IodAttributeType.Required, sr.Nested(DicomTag.PersonIdentificationCodeSequence.Value, DicomTag.CodeValue.Value)!.Type);

        Assert.False(table.IsKnown("1.2.840.10008.5.1.4.1.1.77.1.6"), "VL Whole Slide Microscopy is newer than the 2008 edition");
        Assert.True(table.Find("1.2.840.10008.5.1.4.1.1.77.1.6").IsGeneric);
    }
}
