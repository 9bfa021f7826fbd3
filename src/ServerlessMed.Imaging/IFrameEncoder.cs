namespace ServerlessMed.Imaging;

/// <summary>Compresses one frame of stored values (little-endian, interleaved, normalised to Bits Stored) into the
/// fragment bytes of an encapsulated transfer syntax.</summary>
public interface IFrameEncoder
{
    byte[] EncodeFrame(byte[] samples, PixelDataInfo layout);

    /// <summary>The photometric interpretation the encoded frames must be labelled with, when the encoding changes it
    /// (JPEG 2000 with the reversible colour transform: YBR_RCT); null keeps the dataset's.</summary>
    string? EncodedPhotometric(PixelDataInfo layout) => null;
}
