namespace ServerlessMed.Export.Dataset;

/// <summary>One row of the training set: one frame of one de-identified instance, with its embedding and the
/// generated images of its study. Every value comes from de-identified storage.</summary>
public sealed record ExportRow(
    string StudyUid,
    string SeriesUid,
    string SopUid,
    int Frame,
    string SopClassUid,
    string Modality,
    string BodyPart,
    string SeriesDescription,
    string StudyDescription,
    double[]? PixelSpacing,
    int Rows,
    int Columns,
    float[] Embedding,
    string ModelId,
    string? ModelSha256,
    string EmbeddingSha256,
    string DeidPath,
    IReadOnlyList<GeneratedSet> Generated);

/// <summary>One generation request's outputs for a study and how they were made (from its request.json).</summary>
public sealed record GeneratedSet(
    string RequestId,
    IReadOnlyList<string> Images,
    IReadOnlyList<string> Dicom,
    string Prompt,
    string NegativePrompt,
    string Scheduler,
    int Steps,
    float Guidance,
    int Seed);
