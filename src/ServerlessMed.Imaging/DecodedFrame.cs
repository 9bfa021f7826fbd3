namespace ServerlessMed.Imaging;

/// <summary>One frame as numbers: stored values (before any LUT), interleaved by pixel (RGBRGB...) for colour.</summary>
public sealed class DecodedFrame(int rows, int columns, int samples, float[] values)
{
    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    public int Samples { get; } = samples;

    public float[] Values { get; } = values;

    /// <summary>Set when decoding changed the colour space (JPEG YBR → RGB); null means the dataset's photometric applies.</summary>
    public string? Photometric { get; set; }
}
