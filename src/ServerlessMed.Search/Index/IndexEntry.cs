namespace ServerlessMed.Search.Index;

/// <summary>One vector of the index with the de-identified attributes a result shows. <see cref="Uid"/> is the
/// entry's own UID (the SOP, series or study instance UID, by level).</summary>
public sealed record IndexEntry(
    IndexLevel Level,
    string Uid,
    string StudyUid,
    string? SeriesUid,
    string Modality,
    string BodyPart,
    int Instances,
    float[] Vector);

/// <summary>One search result: an entry (without its vector) and its cosine similarity to the query (1 = same direction).</summary>
public sealed record Neighbour(
    IndexLevel Level,
    string Uid,
    string StudyUid,
    string? SeriesUid,
    string Modality,
    string BodyPart,
    int Instances,
    float Similarity);
