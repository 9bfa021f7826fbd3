namespace ServerlessMed.Imaging.Codecs;

/// <summary>JPEG baseline and extended (DICOM 1.2.840.10008.1.2.4.50/.51): 8-bit streams through libjpeg-turbo
/// (SIMD, subsampling, every colour case), 12-bit streams through our <see cref="JpegDctCodec"/>, chosen by the
/// precision the stream's frame header declares rather than by Bits Allocated.</summary>
public sealed class JpegCodec : IFrameCodec
{
    private readonly TurboJpegCodec _eightBit = new();
    private readonly JpegDctCodec _twelveBit = new();

    public string? DecodedPhotometric(PixelDataInfo info) => JpegColorSpace.DecodedPhotometric(info);

    public byte[] DecodeFrame(PixelDataInfo info, byte[] compressed) =>
        JpegDctCodec.ReadPrecision(compressed) > 8 ? _twelveBit.DecodeFrame(info, compressed) : _eightBit.DecodeFrame(info, compressed);
}
