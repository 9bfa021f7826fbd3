using System.Numerics.Tensors;

namespace ServerlessMed.Imaging;

/// <summary>Area (box) resampling: every output pixel is the mean of the input area it covers, partial pixels weighted
/// by the fraction covered (OpenCV's INTER_AREA, PIL's BOX). The right filter for large downscales (a 2048² radiograph
/// to a 512² or 224² model input), where bilinear sampling aliases. Separable: rows are resampled horizontally once,
/// then output rows are weighted sums of those rows, accumulated with <see cref="TensorPrimitives"/> (SIMD).</summary>
public static class AreaResampler
{
    public static float[] Resize(ReadOnlySpan<float> src, int width, int height, int channels, int newWidth, int newHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(newWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(newHeight, 1);
        if (src.Length != width * height * channels)
        {
            throw new ArgumentException($"{src.Length} values for {width}x{height}x{channels}", nameof(src));
        }

        var xs = Coverage(width, newWidth);
        var ys = Coverage(height, newHeight);
        var rowLength = newWidth * channels;

        // Horizontal pass: each input row to newWidth pixels.
        var rows = new float[height * rowLength];
        for (var y = 0; y < height; y++)
        {
            var inRow = src.Slice(y * width * channels, width * channels);
            var outRow = rows.AsSpan(y * rowLength, rowLength);
            for (var x = 0; x < newWidth; x++)
            {
                foreach (var (source, weight) in xs[x])
                {
                    for (var c = 0; c < channels; c++)
                    {
                        outRow[(x * channels) + c] += inRow[(source * channels) + c] * weight;
                    }
                }
            }
        }

        // Vertical pass: each output row a weighted sum of whole resampled rows (vectorised).
        var dst = new float[newHeight * rowLength];
        for (var y = 0; y < newHeight; y++)
        {
            var outRow = dst.AsSpan(y * rowLength, rowLength);
            foreach (var (source, weight) in ys[y])
            {
                TensorPrimitives.MultiplyAdd(rows.AsSpan(source * rowLength, rowLength), weight, outRow, outRow);
            }
        }

        return dst;
    }

    /// <summary>For each output index, the input indices it covers and their weights (fractions of the output pixel's
    /// span, summing to 1). Upscaling degenerates to nearest-neighbour-like boxes, as in PIL.</summary>
    internal static (int Source, float Weight)[][] Coverage(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var result = new (int, float)[outSize][];
        for (var o = 0; o < outSize; o++)
        {
            var start = o * scale;
            var end = Math.Min(inSize, (o + 1) * scale);
            var list = new List<(int, float)>();
            for (var i = (int)Math.Floor(start); i < end && i < inSize; i++)
            {
                var covered = Math.Min(end, i + 1) - Math.Max(start, i);
                if (covered > 1e-12)
                {
                    list.Add((i, (float)(covered / (end - start))));
                }
            }

            result[o] = [.. list];
        }

        return result;
    }
}
