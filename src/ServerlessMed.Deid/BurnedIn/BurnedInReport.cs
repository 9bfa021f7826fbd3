namespace ServerlessMed.Deid.BurnedIn;

/// <summary>The audit record's account of burned-in text on one instance: why it was looked at, how, and which
/// rectangles were filled. Boxes only: what the text said is never recorded (it is PHI).</summary>
public sealed class BurnedInReport
{
    /// <summary>What put the instance in scope: modality, sopClass, attribute (Burned In Annotation YES), region.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>ocr or none.</summary>
    public string Detection { get; init; } = "none";

    public int Frames { get; init; }

    public int FramesScanned { get; init; }

    /// <summary>The rectangles filled in every frame (margin included), in image pixels.</summary>
    public IReadOnlyList<MaskedBox> Boxes { get; init; } = [];

    /// <summary>True when the stored pixels were rewritten (and Burned In Annotation set to NO).</summary>
    public bool Masked { get; init; }

    /// <summary>The transfer syntax the masked pixels were written in; null when the pixels were not rewritten.</summary>
    public string? TransferSyntax { get; init; }

    public double OcrMilliseconds { get; init; }
}

/// <summary>One filled rectangle and where it came from: ocr (a detected word) or region (the policy's fixed region).</summary>
public sealed record MaskedBox(int X, int Y, int Width, int Height, string Source);
