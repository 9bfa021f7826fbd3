namespace ServerlessMed.Imaging;

/// <summary>YBR_FULL to RGB for 8-bit interleaved stored values, with IJG's fixed-point tables and rounding
/// (jdcolor.c ycc_rgb_convert), so a decompressed colour JPEG written out as RGB has the values dcmdjpeg's default
/// conversion gives.</summary>
public static class YbrFullToRgb
{
    private const int ScaleBits = 16;
    private static readonly int[] CrR = new int[256];
    private static readonly int[] CbB = new int[256];
    private static readonly int[] CrG = new int[256];
    private static readonly int[] CbG = new int[256];

    static YbrFullToRgb()
    {
        const int half = 1 << (ScaleBits - 1);
        static int Fix(double x) => (int)((x * (1L << ScaleBits)) + 0.5);
        for (var i = 0; i < 256; i++)
        {
            var x = i - 128;
            CrR[i] = ((Fix(1.40200) * x) + half) >> ScaleBits;
            CbB[i] = ((Fix(1.77200) * x) + half) >> ScaleBits;
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = (-Fix(0.34414) * x) + half;
        }
    }

    /// <summary>Converts Y,Cb,Cr triplets to R,G,B in place.</summary>
    public static void Convert(Span<byte> interleaved)
    {
        for (var i = 0; i + 2 < interleaved.Length; i += 3)
        {
            int y = interleaved[i], cb = interleaved[i + 1], cr = interleaved[i + 2];
            interleaved[i] = (byte)Math.Clamp(y + CrR[cr], 0, 255);
            interleaved[i + 1] = (byte)Math.Clamp(y + ((CbG[cb] + CrG[cr]) >> ScaleBits), 0, 255);
            interleaved[i + 2] = (byte)Math.Clamp(y + CbB[cb], 0, 255);
        }
    }
}
