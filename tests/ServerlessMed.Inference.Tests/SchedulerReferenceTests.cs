using ServerlessMed.Inference.Diffusion;
using ServerlessMed.Inference.Diffusion.Schedulers;

namespace ServerlessMed.Inference.Tests;

/// <summary>Each scheduler run through diffusers' own scheduler test loops (tests/schedulers/test_scheduler_*.py) with
/// the same deterministic sample, noise and dummy model; the expected sums and means are diffusers' asserted values,
/// with diffusers' tolerances (1e-2 on the sum, 1e-3 on the mean).</summary>
public sealed class SchedulerReferenceTests
{
    // SchedulerCommonTest.dummy_sample_deter: arange(4*3*8*8) / 768 (layout does not matter: every op is elementwise).
    private static float[] Sample() => [.. Enumerable.Range(0, 768).Select(i => i / 768f)];

    // dummy_noise_deter: the same values reversed.
    private static float[] Noise() => [.. Enumerable.Range(0, 768).Select(i => (767 - i) / 768f)];

    // dummy_model: sample * t / (t + 1).
    private static float[] Model(float[] sample, float t) => [.. sample.Select(s => s * t / (t + 1f))];

    private static SchedulerConfig Config(string json) => SchedulerConfig.Parse(json);

    private const string DdimConfig = """{"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear", "clip_sample": true""";

    private static float[] FullLoop(IScheduler scheduler, int steps = 10)
    {
        scheduler.SetTimesteps(steps);
        var sample = Sample();
        foreach (var t in scheduler.Timesteps)
        {
            sample = scheduler.Step(Model(sample, t), t, sample);
        }

        return sample;
    }

    private static void AssertSumMean(float[] sample, double sum, double mean)
    {
        var abs = sample.Select(v => (double)Math.Abs(v)).ToArray();
        Assert.True(Math.Abs(abs.Sum() - sum) < 1e-2, $"sum {abs.Sum():F4}, diffusers {sum}");
        Assert.True(Math.Abs(abs.Average() - mean) < 1e-3, $"mean {abs.Average():F6}, diffusers {mean}");
    }

    [Theory]
    [InlineData("", 172.0067, 0.223967)]
    [InlineData(""", "prediction_type": "v_prediction" """, 52.5302, 0.0684)]
    [InlineData(""", "set_alpha_to_one": true, "beta_start": 0.01 """, 149.8295, 0.1951)]
    public void Ddim_full_loop_matches_diffusers(string extra, double sum, double mean)
    {
        var config = Config(DdimConfig.Replace("\"beta_start\": 0.0001, ", extra.Contains("beta_start", StringComparison.Ordinal) ? string.Empty : "\"beta_start\": 0.0001, ", StringComparison.Ordinal) + extra + "}");
        AssertSumMean(FullLoop(new DdimScheduler(config)), sum, mean);
    }

    [Theory]
    [InlineData("", 198.1318, 0.2580)]
    [InlineData(""", "prediction_type": "v_prediction" """, 67.3986, 0.0878)]
    [InlineData(""", "set_alpha_to_one": true, "beta_start": 0.01 """, 230.0399, 0.2995)]
    [InlineData(""", "set_alpha_to_one": false, "beta_start": 0.01 """, 186.9482, 0.2434)]
    public void Pndm_full_loop_with_runge_kutta_warmup_matches_diffusers(string extra, double sum, double mean)
    {
        var start = extra.Contains("beta_start", StringComparison.Ordinal) ? string.Empty : "\"beta_start\": 0.0001, ";
        var config = Config("{\"num_train_timesteps\": 1000, " + start + "\"beta_end\": 0.02, \"beta_schedule\": \"linear\"" + extra + "}");
        AssertSumMean(FullLoop(new PndmScheduler(config)), sum, mean);
    }

    [Fact]
    public void Pndm_timesteps_with_steps_offset_match_diffusers()
    {
        var s = new PndmScheduler(Config("""{"num_train_timesteps": 1000, "steps_offset": 1}"""));
        s.SetTimesteps(10);
        Assert.Equal([901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1], s.Timesteps.Select(t => (int)t));
    }

    [Fact]
    public void Pndm_skipping_prk_repeats_the_second_to_last_timestep_and_needs_four_steps_otherwise()
    {
        var s = new PndmScheduler(Config("""{"skip_prk_steps": true, "steps_offset": 1}"""));
        s.SetTimesteps(4);
        Assert.Equal([751, 501, 501, 251, 1], s.Timesteps.Select(t => (int)t));
        var withPrk = new PndmScheduler(Config("{}"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => withPrk.SetTimesteps(3));
        Assert.Contains("`num_inference_steps` must be >= 4", e.Message, StringComparison.Ordinal);
    }

    // test_scheduler_euler.py: the loop passes the *scaled* sample on to step, as diffusers' test does.
    private static float[] EulerLoop(IScheduler scheduler, GaussianNoise? noise = null)
    {
        scheduler.SetTimesteps(10);
        var sample = Sample().Select(v => v * scheduler.InitNoiseSigma).ToArray();
        foreach (var t in scheduler.Timesteps)
        {
            sample = scheduler.ScaleModelInput(sample, t);
            sample = scheduler.Step(Model(sample, t), t, sample, noise);
        }

        return sample;
    }

    [Theory]
    [InlineData("", 10.0807, 0.0131)]
    [InlineData(""", "prediction_type": "v_prediction" """, 0.0002, 2.2676e-06)]
    [InlineData(""", "use_karras_sigmas": true """, 124.52299499511719, 0.16213932633399963)]
    public void Euler_full_loop_matches_diffusers(string extra, double sum, double mean)
    {
        var config = Config("""{"num_train_timesteps": 1100, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear" """ + extra + "}");
        AssertSumMean(EulerLoop(new EulerDiscreteScheduler(config)), sum, mean);
    }

    [Fact]
    public void Euler_uses_fractional_timesteps_and_linspace_by_default()
    {
        var s = new EulerDiscreteScheduler(Config("""{"num_train_timesteps": 1000}"""));
        s.SetTimesteps(4);
        Assert.Equal([999f, 666f, 333f, 0f], s.Timesteps);
        Assert.Equal(0f, s.Sigmas[^1]);
        Assert.Equal(s.Sigmas[0], s.InitNoiseSigma);
        var karras = new EulerDiscreteScheduler(Config("""{"num_train_timesteps": 1000, "use_karras_sigmas": true}"""));
        karras.SetTimesteps(4);
        Assert.Contains(karras.Timesteps, t => t != MathF.Floor(t));
        Assert.Equal(s.Sigmas[0], karras.Sigmas[0], 4);
        Assert.Equal(s.Sigmas[^2], karras.Sigmas[^2], 4);
    }

    private const string DpmConfig = """{"num_train_timesteps": 1000, "beta_start": 0.0001, "beta_end": 0.02, "beta_schedule": "linear", "solver_order": 2, "algorithm_type": "dpmsolver++", "solver_type": "midpoint", "lower_order_final": false, "final_sigmas_type": "sigma_min" """;

    [Theory]
    [InlineData("", 0.3301)]
    [InlineData(""", "prediction_type": "v_prediction" """, 0.2251)]
    [InlineData(""", "prediction_type": "v_prediction", "use_karras_sigmas": true """, 0.2096)]
    public void Dpm_solver_pp_2m_full_loop_matches_diffusers(string extra, double mean)
    {
        var sample = FullLoop(new DpmSolverMultistepScheduler(Config(DpmConfig + extra + "}")));
        var actual = sample.Average(v => Math.Abs(v));
        Assert.True(Math.Abs(actual - mean) < 1e-3, $"mean {actual:F4}, diffusers {mean}");
    }

    [Fact]
    public void Dpm_solver_pp_2m_from_a_noised_sample_halfway_matches_diffusers()
    {
        var s = new DpmSolverMultistepScheduler(Config(DpmConfig + "}"));
        s.SetTimesteps(10);
        var timesteps = s.Timesteps.Skip(5 * s.Order).ToArray();
        var sample = s.AddNoise(Sample(), Noise(), timesteps[0]);
        foreach (var t in timesteps)
        {
            sample = s.Step(Model(sample, t), t, sample);
        }

        AssertSumMean(sample, 318.4111, 0.4146);
    }

    [Fact]
    public void Dpm_solver_pp_2m_karras_timesteps_are_rounded_karras_sigmas_and_end_at_zero_by_default()
    {
        var s = (DpmSolverMultistepScheduler)SchedulerFactory.Create("dpm++2m-karras", Config("""{"_class_name": "PNDMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}"""));
        s.SetTimesteps(8);
        Assert.True(s.UseKarrasSigmas);
        Assert.Equal(0f, s.Sigmas[^1]);
        Assert.All(s.Timesteps, t => Assert.Equal(MathF.Round(t), t));
        Assert.Equal(999f, s.Timesteps[0]);
        Assert.True(s.Timesteps.Zip(s.Timesteps.Skip(1)).All(p => p.First >= p.Second));
        var plain = (DpmSolverMultistepScheduler)SchedulerFactory.Create("dpm++2m", Config("{}"));
        plain.SetTimesteps(10);
        Assert.Equal([999f, 899f, 799f, 699f, 599f, 500f, 400f, 300f, 200f, 100f], plain.Timesteps);
    }

    [Fact]
    public void Lcm_one_step_matches_diffusers_and_multistep_needs_noise()
    {
        var config = Config("""{"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.0120, "beta_schedule": "scaled_linear", "prediction_type": "epsilon"}""");
        AssertSumMean(FullLoop(new LcmScheduler(config), steps: 1), 18.7097, 0.0244);
        var s = new LcmScheduler(config);
        s.SetTimesteps(4);
        // original_inference_steps 50: arange(1, 51) * 20 - 1, reversed, every 50/4-th.
        Assert.Equal([999f, 759f, 499f, 259f], s.Timesteps);
        Assert.Throws<ArgumentNullException>(() => s.Step(Sample(), 999f, Sample()));
    }

    [Fact]
    public void Euler_ancestral_step_adds_exactly_sigma_up_of_the_supplied_noise_and_none_at_the_end()
    {
        var config = Config("""{"num_train_timesteps": 1000, "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}""");
        var ancestral = new EulerAncestralScheduler(config);
        var euler = new EulerDiscreteScheduler(config);
        ancestral.SetTimesteps(5);
        euler.SetTimesteps(5);
        var x = Sample();
        var eps = Noise();
        var t = ancestral.Timesteps[0];
        var withNoise = ancestral.Step(eps, t, x, new GaussianNoise(7));
        float sFrom = ancestral.Sigmas[0], sTo = ancestral.Sigmas[1];
        var up = MathF.Sqrt(sTo * sTo * ((sFrom * sFrom) - (sTo * sTo)) / (sFrom * sFrom));
        var down = MathF.Sqrt((sTo * sTo) - (up * up));
        var z = new GaussianNoise(7).Sample(x.Length);
        for (var i = 0; i < x.Length; i++)
        {
            var deterministic = x[i] + (eps[i] * (down - sFrom));
            Assert.Equal(deterministic + (z[i] * up), withNoise[i], 3);
        }

        // Same sigmas as Euler; at the last step sigma_to = 0, so the ancestral step equals Euler's and needs no noise.
        Assert.Equal(euler.Sigmas, ancestral.Sigmas);
        var last = ancestral.Timesteps[^1];
        ancestral.SetTimesteps(5);
        ancestral.SetBeginIndex(4);
        euler.SetBeginIndex(4);
        Assert.Equal(euler.Step(eps, last, x), ancestral.Step(eps, last, x));
    }

    public static TheoryData<string> SchedulerNames() => [.. SchedulerFactory.Names];

    [Theory]
    [MemberData(nameof(SchedulerNames))]
    public void Every_scheduler_denoises_a_perfectly_predicted_noise_back_to_the_clean_sample(string name)
    {
        // x_T built from a known x0 and noise; a model that returns the exact noise lets every sampler land on x0.
        var config = Config("""{"_class_name": "PNDMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012, "set_alpha_to_one": true, "skip_prk_steps": true, "clip_sample": false}""");
        var s = SchedulerFactory.Create(name, config);
        s.SetTimesteps(name == "pndm" ? 50 : 20);
        var x0 = Sample().Select(v => v - 0.5f).ToArray();
        var eps = new GaussianNoise(1).Sample(x0.Length);
        var sample = s.AddNoise(x0, eps, s.Timesteps[0]);
        var rng = new GaussianNoise(2);
        foreach (var t in s.Timesteps)
        {
            var input = s.ScaleModelInput(sample, t);
            _ = input;
            var prediction = PredictedNoise(s, sample, x0, t);
            sample = s.Step(prediction, t, sample, rng);
        }

        var error = sample.Zip(x0).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(error < 0.02, $"{name}: max |x - x0| = {error}");
    }

    // The noise consistent with the current sample and the true x0, in the parameterisation the scheduler expects.
    private static float[] PredictedNoise(IScheduler s, float[] sample, float[] x0, float t)
    {
        if (s is SigmaScheduler sigma)
        {
            var sg = sigma.Sigmas[sigma.StepIndex ?? 0];
            return [.. sample.Select((v, i) => (v - x0[i]) / sg)];
        }

        if (s is DpmSolverMultistepScheduler dpm)
        {
            var sg = dpm.Sigmas[dpm.StepIndex ?? 0];
            var alpha = 1f / MathF.Sqrt((sg * sg) + 1f);
            return [.. sample.Select((v, i) => (v - (alpha * x0[i])) / (sg * alpha))];
        }

        var a = ((DiscreteScheduler)s).AlphasCumprod[(int)t];
        return [.. sample.Select((v, i) => (v - (MathF.Sqrt(a) * x0[i])) / MathF.Sqrt(1 - a))];
    }

    [Theory]
    [InlineData("""{"prediction_type": "x0"}""", "prediction_type 'x0'")]
    [InlineData("""{"beta_schedule": "sigmoid"}""", "beta_schedule 'sigmoid'")]
    [InlineData("""{"timestep_spacing": "uniform"}""", "timestep_spacing 'uniform'")]
    [InlineData("""{"thresholding": true}""", "thresholding")]
    [InlineData("""{"num_train_timesteps": "many"}""", "'num_train_timesteps' must be int32")]
    public void Invalid_config_values_are_named(string json, string expected)
    {
        var e = Assert.ThrowsAny<Exception>(() =>
        {
            var s = new EulerDiscreteScheduler(Config(json));
            s.SetTimesteps(10);
        });
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_scheduler_name_lists_the_supported_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => SchedulerFactory.Create("heun", SchedulerConfig.Empty));
        Assert.Contains("ddim, pndm, euler, euler-a, dpm++2m, dpm++2m-karras, lcm", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_keys_listed_as_defaults_take_the_defaults_of_the_class_that_reads_them()
    {
        // A DDIM config that wrote timestep_spacing only because it was DDIM's default: Euler then uses linspace.
        var config = Config("""{"_class_name": "DDIMScheduler", "timestep_spacing": "leading", "_use_default_values": ["timestep_spacing"]}""");
        var euler = new EulerDiscreteScheduler(config);
        Assert.Equal("linspace", euler.TimestepSpacing);
        Assert.Equal("leading", new DdimScheduler(config).TimestepSpacing);
    }
}
