using System.Text.Json.Nodes;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Testing;

namespace ServerlessMed.Inference.Tests;

/// <summary>A model folder that does not describe its model gives an error naming model.json and the field, before
/// any instance is encoded.</summary>
public sealed class EncoderModelFolderTests
{
    private static readonly OnnxSessionFactory Factory = new(new OnnxSessionOptions());

    private static string Copy(Action<JsonObject>? edit = null, bool dropManifest = false)
    {
        var src = Path.Combine(TestModels.Folder, "encoders", "cxr-like");
        var dir = Directory.CreateTempSubdirectory("smed-model-").FullName;
        foreach (var f in Directory.GetFiles(src))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        var manifest = Path.Combine(dir, "model.json");
        if (dropManifest)
        {
            File.Delete(manifest);
        }
        else if (edit is not null)
        {
            var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
            edit(json);
            File.WriteAllText(manifest, json.ToJsonString());
        }

        return dir;
    }

    [Fact]
    public void Missing_model_json_is_named()
    {
        var dir = Copy(dropManifest: true);
        var e = Assert.Throws<FileNotFoundException>(() => new ImageEncoder(dir, Factory));
        Assert.Contains("model.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_json_names_the_file()
    {
        var dir = Copy();
        File.WriteAllText(Path.Combine(dir, "model.json"), "{ \"id\": ");
        var e = Assert.Throws<InvalidDataException>(() => new ImageEncoder(dir, Factory));
        Assert.Contains(Path.Combine(dir, "model.json"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Input_name_that_is_not_in_the_onnx_model_is_named_with_the_real_ones()
    {
        var dir = Copy(j => j["input"]!["name"] = "pixels");
        var e = Assert.Throws<InvalidDataException>(() => new ImageEncoder(dir, Factory));
        Assert.Contains("$.input.name: 'pixels'", e.Message, StringComparison.Ordinal);
        Assert.Contains("it has: image", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_shape_that_does_not_hold_the_models_values_is_refused()
    {
        var dir = Copy(j => j["outputs"]![1]!["shape"] = new JsonArray(32, 512));
        var e = Assert.Throws<InvalidDataException>(() => new ImageEncoder(dir, Factory));
        Assert.Contains("'contrastive_embedding' has shape [32, 512]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[32, 768]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_output_and_missing_onnx_file_are_named()
    {
        var dir = Copy(j => j["outputs"]![0]!["name"] = "features");
        var e = Assert.Throws<InvalidDataException>(() => new ImageEncoder(dir, Factory));
        Assert.Contains("'features' is not an output", e.Message, StringComparison.Ordinal);

        dir = Copy(j => j["onnx"] = "encoder.onnx");
        var missing = Assert.Throws<FileNotFoundException>(() => new ImageEncoder(dir, Factory));
        Assert.Contains("'encoder.onnx' is not in the folder", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resize_is_bilinear_or_area_and_area_is_used_when_asked()
    {
        var bad = Copy(j => j["preprocessing"]!["resize"] = "lanczos");
        var e = Assert.Throws<InvalidDataException>(() => new ImageEncoder(bad, Factory));
        Assert.Contains("$.preprocessing.resize: 'lanczos'", e.Message, StringComparison.Ordinal);

        var file = ServerlessMed.Dicom.DicomFile.Open(Corpus.Get("pydicom/CT_small.dcm").FullPath);
        using var bilinear = new ImageEncoder(Copy(), Factory);
        using var area = new ImageEncoder(Copy(j => j["preprocessing"]!["resize"] = "area"), Factory);
        var a = bilinear.Preprocess(file.Dataset, file.TransferSyntax);
        var b = area.Preprocess(file.Dataset, file.TransferSyntax);
        Assert.Equal(a.Length, b.Length);
        Assert.False(a.SequenceEqual(b)); // 128² upscaled to 512²: box and bilinear differ
    }
}
