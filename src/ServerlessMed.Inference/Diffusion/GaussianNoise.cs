namespace ServerlessMed.Inference.Diffusion;

/// <summary>Reproducible standard normal numbers from a seed (Box-Muller over a seeded System.Random, whose seeded
/// sequence .NET keeps stable): the same request gives the same image bytes.</summary>
public sealed class GaussianNoise(int seed)
{
    private readonly Random _random = new(seed);
    private float? _spare;

    public float Next()
    {
        if (_spare is { } s)
        {
            _spare = null;
            return s;
        }

        double u1;
        do
        {
            u1 = _random.NextDouble();
        }
        while (u1 <= double.Epsilon);

        var u2 = _random.NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = (float)(r * Math.Sin(2 * Math.PI * u2));
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    public float[] Sample(int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = Next();
        }

        return values;
    }
}
