namespace ServerlessMed.Inference.Diffusion.Schedulers;

/// <summary>The training noise schedule (betas, cumulative alphas, sigmas) and the timestep/sigma spacings diffusers
/// uses, computed with the same precision choices (float32 alphas, float64 interpolation).</summary>
public static class NoiseSchedule
{
    public static float[] Betas(string schedule, double start, double end, int n)
    {
        var betas = new float[n];
        switch (schedule)
        {
            case "linear":
                for (var i = 0; i < n; i++)
                {
                    betas[i] = (float)(start + ((end - start) * i / (n - 1)));
                }

                break;
            case "scaled_linear":
                // Stable Diffusion's schedule: linear in sqrt(beta).
                var s = Math.Sqrt(start);
                var e = Math.Sqrt(end);
                for (var i = 0; i < n; i++)
                {
                    var v = (float)(s + ((e - s) * i / (n - 1)));
                    betas[i] = v * v;
                }

                break;
            case "squaredcos_cap_v2":
                // Glide cosine schedule (betas_for_alpha_bar with max_beta 0.999).
                static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
                for (var i = 0; i < n; i++)
                {
                    betas[i] = (float)Math.Min(1 - (AlphaBar((i + 1.0) / n) / AlphaBar((double)i / n)), 0.999);
                }

                break;
            default:
                throw new InvalidDataException($"scheduler config: beta_schedule '{schedule}' is not supported (linear, scaled_linear, squaredcos_cap_v2)");
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

    /// <summary>sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t), ascending with t.</summary>
    public static double[] Sigmas(float[] alphasCumprod)
    {
        var sigmas = new double[alphasCumprod.Length];
        for (var i = 0; i < sigmas.Length; i++)
        {
            var a = alphasCumprod[i];
            sigmas[i] = MathF.Sqrt((1f - a) / a);
        }

        return sigmas;
    }

    /// <summary>numpy.interp over the integer grid 0..n-1 (the training timesteps).</summary>
    public static double InterpolateAtTimestep(double[] values, double t)
    {
        if (t <= 0)
        {
            return values[0];
        }

        if (t >= values.Length - 1)
        {
            return values[^1];
        }

        var lo = (int)Math.Floor(t);
        var w = t - lo;
        return values[lo] + ((values[lo + 1] - values[lo]) * w);
    }

    /// <summary>Karras et al. (2022) sigmas from <paramref name="sigmaMax"/> down to <paramref name="sigmaMin"/>, rho = 7.</summary>
    public static double[] Karras(double sigmaMax, double sigmaMin, int steps)
    {
        const double rho = 7.0;
        var minInv = Math.Pow(sigmaMin, 1 / rho);
        var maxInv = Math.Pow(sigmaMax, 1 / rho);
        var result = new double[steps];
        for (var i = 0; i < steps; i++)
        {
            var ramp = steps == 1 ? 0 : (double)i / (steps - 1);
            result[i] = Math.Pow(maxInv + (ramp * (minInv - maxInv)), rho);
        }

        return result;
    }

    /// <summary>The fractional training timestep whose sigma is <paramref name="sigma"/> (diffusers' _sigma_to_t:
    /// linear interpolation in log-sigma between neighbouring training steps).</summary>
    public static double SigmaToTimestep(double sigma, double[] logSigmas)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));
        var low = 0;
        for (var i = 0; i < logSigmas.Length; i++)
        {
            if (logSigma - logSigmas[i] >= 0)
            {
                low = i;
            }
        }

        low = Math.Min(low, logSigmas.Length - 2);
        var high = low + 1;
        var w = Math.Clamp((logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[high]), 0, 1);
        return ((1 - w) * low) + (w * high);
    }

    /// <summary>Integer inference timesteps (descending) by timestep_spacing, as DDIM, PNDM and LCM-style
    /// schedulers compute them.</summary>
    public static int[] Spaced(string spacing, int trainSteps, int steps, int stepsOffset)
    {
        if (steps < 1 || steps > trainSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"inference steps must be between 1 and {trainSteps}");
        }

        var t = new int[steps];
        switch (spacing)
        {
            case "leading":
                var ratio = trainSteps / steps;
                for (var i = 0; i < steps; i++)
                {
                    t[i] = ((steps - 1 - i) * ratio) + stepsOffset;
                }

                break;
            case "trailing":
                var r = (double)trainSteps / steps;
                for (var i = 0; i < steps; i++)
                {
                    t[i] = (int)Math.Round(trainSteps - (i * r), MidpointRounding.ToEven) - 1;
                }

                break;
            case "linspace":
                for (var i = 0; i < steps; i++)
                {
                    t[steps - 1 - i] = (int)Math.Round((trainSteps - 1) * (double)i / Math.Max(1, steps - 1), MidpointRounding.ToEven);
                }

                break;
            default:
                throw new InvalidDataException($"scheduler config: timestep_spacing '{spacing}' is not supported (leading, trailing, linspace)");
        }

        return t;
    }
}
