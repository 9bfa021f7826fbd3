using System.Numerics.Tensors;

namespace ServerlessMed.Search.Index;

/// <summary>The vector arithmetic of the index: unit vectors and means of unit vectors (cosine similarity ignores
/// length, so every stored vector is normalised once and dot products are cosines).</summary>
public static class Vectors
{
    /// <summary>The vector scaled to length 1 (a zero vector stays zero: it has no direction to compare).</summary>
    public static float[] Normalised(ReadOnlySpan<float> v)
    {
        var result = v.ToArray();
        NormaliseInPlace(result);
        return result;
    }

    public static void NormaliseInPlace(Span<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(v, norm, v);
        }
    }

    /// <summary>The normalised mean of the normalised vectors.</summary>
    public static float[] MeanOfNormalised(IEnumerable<float[]> vectors, int dimensions)
    {
        var sum = new float[dimensions];
        var scratch = new float[dimensions];
        foreach (var v in vectors)
        {
            v.CopyTo(scratch, 0);
            NormaliseInPlace(scratch);
            TensorPrimitives.Add(sum, scratch, sum);
        }

        NormaliseInPlace(sum);
        return sum;
    }

    /// <summary>Cosine similarity of two vectors of any length.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);
}
