using ServerlessMed.Deid;
using ServerlessMed.Dicom;
using ServerlessMed.Dicom.IO;
using ServerlessMed.Imaging;
using ServerlessMed.Inference.Encoders;
using ServerlessMed.Inference.Onnx;
using ServerlessMed.Search.Index;

namespace ServerlessMed.Search.Query;

/// <summary>A query by an instance file: de-identified in memory with the tenant key and policy (as ingest does, so its
/// pixels are what an ingested copy's embedding was made from, and its study is named by the de-identified UID the
/// index would know it by), then encoded with the model's encoder; the vector is the mean of its frames' normalised
/// embeddings, as an indexed instance's is. Nothing of the original file reaches the result.</summary>
public static class InstanceQuery
{
    /// <summary>The encoder folder under <paramref name="modelsRoot"/>/encoders whose "{id}-v{version}" is the model.</summary>
    public static string EncoderFolder(string modelsRoot, string model)
    {
        var encoders = Path.Combine(modelsRoot, "encoders");
        if (Directory.Exists(encoders))
        {
            foreach (var dir in Directory.EnumerateDirectories(encoders).Order(StringComparer.Ordinal))
            {
                if (File.Exists(Path.Combine(dir, "model.json")) && EncoderManifest.Load(dir) is var m && ($"{m.Id}-v{m.Version}" == model || m.Id == model))
                {
                    return dir;
                }
            }
        }

        throw new FileNotFoundException($"no encoder for model {model} under {encoders} (a folder with model.json whose id and version make '{model}')");
    }

    /// <summary>The query vector and the de-identified study UID of an instance file.</summary>
    public static (float[] Vector, string DeidStudyUid) Encode(string path, string encoderFolder, TenantKey key, DeidPolicy policy)
    {
        var original = DicomFile.Open(path, new DicomReaderOptions { SourceName = Path.GetFileName(path) });
        var deid = new Deidentifier(key, policy).Deidentify(original);
        var ds = deid.File.Dataset;
        if (!ds.Contains(DicomTag.PixelData) && !ds.Contains(DicomTag.FloatPixelData) && !ds.Contains(DicomTag.DoubleFloatPixelData))
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: the instance has no pixel data to encode");
        }

        using var encoder = new ImageEncoder(encoderFolder, new OnnxSessionFactory(new OnnxSessionOptions()));
        var frames = PixelDataInfo.FromDataset(ds).NumberOfFrames;
        var inputs = Enumerable.Range(0, frames).Select(f => encoder.Preprocess(ds, deid.File.TransferSyntax, f)).ToList();
        var outputs = encoder.Encode(inputs);
        var dims = outputs[0].Length;
        return (Vectors.MeanOfNormalised(outputs, dims), deid.Audit.StudyInstanceUid);
    }
}
