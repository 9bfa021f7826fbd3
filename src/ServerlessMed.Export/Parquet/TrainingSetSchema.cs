using ServerlessMed.Export.Dataset;

namespace ServerlessMed.Export.Parquet;

/// <summary>The columns of the training set, in file order.</summary>
public static class TrainingSetSchema
{
    public static IReadOnlyList<ExportColumn> Columns(int dimensions) =>
    [
        new StringColumn("study_instance_uid", "de-identified Study Instance UID", r => r.StudyUid),
        new StringColumn("series_instance_uid", "de-identified Series Instance UID", r => r.SeriesUid),
        new StringColumn("sop_instance_uid", "de-identified SOP Instance UID", r => r.SopUid),
        new Int32Column("frame", "frame number within the instance, from 0", r => r.Frame),
        new StringColumn("sop_class_uid", "SOP Class UID", r => r.SopClassUid),
        new StringColumn("modality", "Modality (0008,0060)", r => r.Modality),
        new StringColumn("body_part_examined", "Body Part Examined (0018,0015)", r => r.BodyPart),
        new StringColumn("series_description", "Series Description as de-identified", r => r.SeriesDescription),
        new StringColumn("study_description", "Study Description as de-identified", r => r.StudyDescription),
        new NumberListColumn<double>("pixel_spacing", "Pixel Spacing (0028,0030) in mm, row then column; null when absent", r => r.PixelSpacing),
        new Int32Column("rows", "Rows (0028,0010)", r => r.Rows),
        new Int32Column("columns", "Columns (0028,0011)", r => r.Columns),
        new EmbeddingColumn("embedding", $"the frame's embedding: fixed-size list of {dimensions} float32", dimensions),
        new StringColumn("model_id", "encoder model id and version (the embeddings folder)", r => r.ModelId),
        new StringColumn("model_sha256", "SHA-256 of the encoder model's files; null for embeddings written before it was recorded", r => r.ModelSha256),
        new StringColumn("embedding_sha256", "SHA-256 of the instance's .npy file in storage", r => r.EmbeddingSha256),
        new StringColumn("deid_path", "the de-identified DICOM file in the tenant's deid container", r => r.DeidPath),
        new StringListColumn("generated_request_ids", "generation requests of the study", r => r.Generated.Select(g => g.RequestId)),
        new StringListColumn("generated_images", "generated PNG images of the study (generated container)", r => r.Generated.SelectMany(g => g.Images)),
        new StringListColumn("generated_dicom", "generated DICOM files of the study (Synthetic Data YES)", r => r.Generated.SelectMany(g => g.Dicom)),
        new StringListColumn("generated_prompts", "prompt of each request", r => r.Generated.Select(g => g.Prompt)),
        new StringListColumn("generated_negative_prompts", "negative prompt of each request", r => r.Generated.Select(g => g.NegativePrompt)),
        new StringListColumn("generated_schedulers", "scheduler of each request", r => r.Generated.Select(g => g.Scheduler)),
        new NumberListColumn<int>("generated_steps", "denoising steps of each request", r => r.Generated.Select(g => g.Steps)),
        new NumberListColumn<float>("generated_guidance", "guidance scale of each request", r => r.Generated.Select(g => g.Guidance)),
        new NumberListColumn<int>("generated_seeds", "seed of each request", r => r.Generated.Select(g => g.Seed)),
    ];
}
