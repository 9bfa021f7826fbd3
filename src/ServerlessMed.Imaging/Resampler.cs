namespace ServerlessMed.Imaging;

/// <summary>Resizing for model inputs and previews: bilinear (half-pixel centres, as OpenCV/PIL) and area averaging for large downscales.</summary>
public static class Resampler
{
    public static float[] Bilinear(ReadOnlySpan<float> src, int width, int height, int channels, int newWidth, int newHeight)
    {
        var dst = new float[newWidth * newHeight * channels];
        var sx = (double)width / newWidth;
        var sy = (double)height / newHeight;
        for (var y = 0; y < newHeight; y++)
        {
            var fy = Math.Clamp(((y + 0.5) * sy) - 0.5, 0, height - 1);
            var y0 = (int)fy;
            var y1 = Math.Min(y0 + 1, height - 1);
            var wy = (float)(fy - y0);
            for (var x = 0; x < newWidth; x++)
            {
                var fx = Math.Clamp(((x + 0.5) * sx) - 0.5, 0, width - 1);
                var x0 = (int)fx;
                var x1 = Math.Min(x0 + 1, width - 1);
                var wx = (float)(fx - x0);
                for (var c = 0; c < channels; c++)
                {
                    var a = src[(((y0 * width) + x0) * channels) + c];
                    var b = src[(((y0 * width) + x1) * channels) + c];
                    var d = src[(((y1 * width) + x0) * channels) + c];
                    var e = src[(((y1 * width) + x1) * channels) + c];
                    var top = a + ((b - a) * wx);
                    var bottom = d + ((e - d) * wx);
                    dst[(((y * newWidth) + x) * channels) + c] = top + ((bottom - top) * wy);
                }
            }
        }

        return dst;
    }

    public static Image8 Resize(Image8 image, int newWidth, int newHeight)
    {
        var src = new float[image.Pixels.Length];
        for (var i = 0; i < src.Length; i++)
        {
            src[i] = image.Pixels[i];
        }

        var dst = Bilinear(src, image.Width, image.Height, image.Channels, newWidth, newHeight);
        var bytes = new byte[dst.Length];
        for (var i = 0; i < dst.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(MathF.Round(dst[i]), 0, 255);
        }

        return new Image8(newWidth, newHeight, image.Channels, bytes);
    }

    /// <summary>Fits the longer side into <paramref name="maxSide"/>, keeping the aspect ratio (never enlarges).</summary>
    public static Image8 Fit(Image8 image, int maxSide)
    {
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(image.Width, image.Height));
        return scale >= 1.0 ? image : Resize(image, Math.Max(1, (int)Math.Round(image.Width * scale)), Math.Max(1, (int)Math.Round(image.Height * scale)));
    }
}
