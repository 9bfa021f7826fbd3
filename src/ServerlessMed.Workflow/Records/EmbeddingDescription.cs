namespace ServerlessMed.Workflow.Records;

/// <summary>One model output's embeddings of one instance: a float32 .npy of shape frames × the output's shape,
/// named <see cref="EmbeddingFiles.Npy"/>. The same description sits beside it in the CLI (the sidecar) and in blob
/// storage (the .npy's metadata and the instance record).</summary>
public sealed record EmbeddingDescription(
    string Model,
    string ModelVersion,
    string ModelSha256,
    string Provider,
    string Output,
    int OutputIndex,
    int Frames,
    IReadOnlyList<int> Shape,
    string Dtype,
    EmbeddingPreprocessing Preprocessing,
    string File)
{
    /// <summary>"{id}-v{version}": the model's folder in storage.</summary>
    public string ModelKey => $"{Model}-v{ModelVersion}";

    /// <summary>Values per frame (the product of the output's shape).</summary>
    public int ValuesPerFrame => Shape.Skip(1).Aggregate(1, (a, b) => a * b);
}

/// <summary>How frames were made into the model's input (model.json's preprocessing and input).</summary>
public sealed record EmbeddingPreprocessing(string Voi, string Resize, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, string Layout, IReadOnlyList<int> Size);

/// <summary>File names of the embedding layout, the same in a CLI folder and under a model's folder in storage.</summary>
public static class EmbeddingFiles
{
    /// <summary><c>{sop}_{output}.npy</c>: UIDs hold digits and dots only, so the first '_' ends the UID whatever
    /// the output is called (characters outside [A-Za-z0-9._-] become '_').</summary>
    public static string Npy(string sop, string output) => $"{sop}_{SafeOutput(output)}.npy";

    /// <summary><c>{sop}.input.npy</c>: the preprocessed input tensors (frames × the input's shape), on request.</summary>
    public static string Input(string sop) => $"{sop}.input.npy";

    /// <summary><c>{sop}.json</c>: the CLI's sidecar (the instance record, with every output's description).</summary>
    public static string Sidecar(string sop) => $"{sop}.json";

    /// <summary>(sop, output) of a file name of <see cref="Npy"/>'s form; null for another name.</summary>
    public static (string Sop, string Output)? Parse(string fileName)
    {
        if (!fileName.EndsWith(".npy", StringComparison.Ordinal))
        {
            return null;
        }

        var cut = fileName.IndexOf('_', StringComparison.Ordinal);
        return cut > 0 && cut < fileName.Length - 5 ? (fileName[..cut], fileName[(cut + 1)..^4]) : null;
    }

    public static string SafeOutput(string output) => string.Concat(output.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
}
