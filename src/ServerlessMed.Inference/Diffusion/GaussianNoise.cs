namespace ServerlessMed.Inference.Diffusion;

/// <summary>Reproducible standard normal numbers from a seed: Marsaglia's polar method over a seeded System.Random
/// (whose seeded sequence .NET keeps stable), so the same request gives the same image bytes. The polar method needs
/// one logarithm and one square root per pair and no trigonometry, which keeps the ancestral samplers' per-step
/// noise cheap beside the UNet.</summary>
public sealed class GaussianNoise(int seed)
{
    private readonly Random _random = new(seed);
    private float _spare;
    private bool _hasSpare;

    public float Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        var (a, b) = NextPair();
        _spare = b;
        _hasSpare = true;
        return a;
    }

    public void Fill(Span<float> destination)
    {
        var i = 0;
        if (_hasSpare && destination.Length > 0)
        {
            destination[i++] = Next();
        }

        for (; i + 1 < destination.Length; i += 2)
        {
            (destination[i], destination[i + 1]) = NextPair();
        }

        if (i < destination.Length)
        {
            destination[i] = Next();
        }
    }

    public float[] Sample(int count)
    {
        var values = new float[count];
        Fill(values);
        return values;
    }

    private (float, float) NextPair()
    {
        double u, v, s;
        do
        {
            u = (2.0 * _random.NextDouble()) - 1.0;
            v = (2.0 * _random.NextDouble()) - 1.0;
            s = (u * u) + (v * v);
        }
        while (s >= 1.0 || s == 0.0);

        var m = Math.Sqrt(-2.0 * Math.Log(s) / s);
        return ((float)(u * m), (float)(v * m));
    }
}
