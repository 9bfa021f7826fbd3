namespace ServerlessMed.Imaging;

/// <summary>One frame's stored values as native little-endian bytes, interleaved by pixel.</summary>
/// <param name="Layout">How to read <paramref name="Bytes"/>: the dataset's image attributes, with planar
/// configuration 0 and (for 1-bit data) one byte per sample.</param>
/// <param name="Bytes">The samples.</param>
/// <param name="Photometric">Set when decoding changed the colour space (JPEG YBR → RGB, YBR_FULL_422 → YBR_FULL).</param>
public sealed record StoredFrame(PixelDataInfo Layout, byte[] Bytes, string? Photometric);
