using ServerlessMed.Dicom;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Diffusion.Schedulers;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Testing;

namespace ServerlessMed.Inference.Tests;

public sealed class ModelTests
{
    private static readonly OnnxSessionFactory Factory = new(new OnnxSessionOptions());

    [Fact]
    public void Encoder_output_is_bit_identical_across_runs_and_batch_sizes()
    {
        using var encoder = new ImageEncoder(TestModels.Encoder, Factory);
        var file = DicomFile.Open(Corpus.Get("pydicom-data/emri_small.dcm").FullPath);
        var inputs = Enumerable.Range(0, 8).Select(f => encoder.Preprocess(file.Dataset, file.TransferSyntax, f)).ToList();
        var batch = encoder.Encode(inputs);
        for (var i = 0; i < 8; i++)
        {
            var single = encoder.Encode([inputs[i]])[0];
            Assert.Equal(BitConverter.GetBytes(single[0]), BitConverter.GetBytes(batch[i][0]));
            Assert.True(single.SequenceEqual(batch[i]), $"frame {i}: batch 8 differs from batch 1");
        }

        Assert.Equal(32, batch[0].Length);
        Assert.False(batch[0].SequenceEqual(batch[5]), "different frames give different embeddings");
    }

    [Fact]
    public void Same_request_gives_the_same_image_bytes_and_another_seed_another_image()
    {
        using var model = new DiffusionModel(TestModels.Diffusion, Factory);
        var pipeline = new DiffusionPipeline(model);
        var request = new GenerationRequest { Prompts = [new WeightedPrompt("a ct image of the chest")], Steps = 4, GuidanceScale = 3f, Seed = 42 };
        var a = PngWriter.Encode(pipeline.Generate(request)[0]);
        var b = PngWriter.Encode(pipeline.Generate(request)[0]);
        var c = PngWriter.Encode(pipeline.Generate(request with { Seed = 43 })[0]);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Clip_tokenizer_frames_pads_and_merges_words()
    {
        var tokenizer = new ClipTokenizer(Path.Combine(TestModels.Diffusion, "tokenizer"));
        var ids = tokenizer.Encode("A CT image of the Chest");
        Assert.Equal(77, ids.Length);
        Assert.Equal(tokenizer.BosId, ids[0]);
        // Six words, each a single merged token in the test vocabulary, then end-of-text and padding.
        Assert.Equal(tokenizer.EosId, ids[7]);
        Assert.All(ids[8..], id => Assert.Equal(tokenizer.PadId, id));
        Assert.Equal("a ct image of the chest", tokenizer.Decode(ids));
    }
}
