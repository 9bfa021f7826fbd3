namespace ServerlessMed.Inference.Diffusion;

/// <summary>betas and alphas_cumprod as diffusers computes them (float32).</summary>
public static class NoiseSchedule
{
    public static float[] Betas(SchedulerConfig c)
    {
        var n = c.NumTrainTimesteps;
        var betas = new float[n];
        switch (c.BetaSchedule)
        {
            case "linear":
                for (var i = 0; i < n; i++)
                {
                    betas[i] = (float)(c.BetaStart + ((c.BetaEnd - c.BetaStart) * i / (n - 1)));
                }

                break;
            case "scaled_linear":
                var s = Math.Sqrt(c.BetaStart);
                var e = Math.Sqrt(c.BetaEnd);
                for (var i = 0; i < n; i++)
                {
                    var v = (float)(s + ((e - s) * i / (n - 1)));
                    betas[i] = v * v;
                }

                break;
            case "squaredcos_cap_v2":
                static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
                for (var i = 0; i < n; i++)
                {
                    betas[i] = (float)Math.Min(1 - (AlphaBar((i + 1.0) / n) / AlphaBar((double)i / n)), 0.999);
                }

                break;
            default:
                throw new NotSupportedException($"beta_schedule '{c.BetaSchedule}' is not supported (linear, scaled_linear, squaredcos_cap_v2)");
        }

        return betas;
    }

    public static float[] AlphasCumprod(float[] betas)
    {
        var result = new float[betas.Length];
        var acc = 1f;
        for (var i = 0; i < betas.Length; i++)
        {
            acc *= 1f - betas[i];
            result[i] = acc;
        }

        return result;
    }

    /// <summary>Inference timesteps by diffusers' timestep_spacing rules (descending).</summary>
    public static int[] Spaced(SchedulerConfig c, int steps)
    {
        var n = c.NumTrainTimesteps;
        if (steps < 1 || steps > n)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), $"inference steps must be between 1 and {n}");
        }

        var t = new int[steps];
        switch (c.TimestepSpacing)
        {
            case "leading":
                var ratio = n / steps;
                for (var i = 0; i < steps; i++)
                {
                    t[i] = ((steps - 1 - i) * ratio) + c.StepsOffset;
                }

                break;
            case "trailing":
                var r = (double)n / steps;
                for (var i = 0; i < steps; i++)
                {
                    t[i] = (int)Math.Round(n - (i * r)) - 1;
                }

                break;
            case "linspace":
                for (var i = 0; i < steps; i++)
                {
                    t[steps - 1 - i] = (int)Math.Round((n - 1) * (double)i / Math.Max(1, steps - 1), MidpointRounding.ToEven);
                }

                break;
            default:
                throw new NotSupportedException($"timestep_spacing '{c.TimestepSpacing}' is not supported (leading, trailing, linspace)");
        }

        return t;
    }
}
