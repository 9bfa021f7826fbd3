using System.Collections.Concurrent;
using System.Diagnostics;

namespace ServerlessMed.Pipeline.Stages;

/// <summary>Counters and time per stage for one run (the demo's table, the load bench). Thread-safe.</summary>
public sealed class StageMetrics
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _ticks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _quarantineReasons = new(StringComparer.Ordinal);

    public void Increment(string counter, long by = 1)
    {
        _counts.AddOrUpdate(counter, by, (_, v) => v + by);
        Telemetry.PipelineTelemetry.Count(counter, by);
    }

    public long Get(string counter) => _counts.GetValueOrDefault(counter);

    public void AddTime(string stage, TimeSpan elapsed)
    {
        _ticks.AddOrUpdate(stage, elapsed.Ticks, (_, v) => v + elapsed.Ticks);
        Telemetry.PipelineTelemetry.StageTime(stage, elapsed);
    }

    /// <summary>The stages timed so far.</summary>
    public IEnumerable<string> Stages => _ticks.Keys;

    public TimeSpan Time(string stage) => TimeSpan.FromTicks(_ticks.GetValueOrDefault(stage));

    public void Quarantined(string stage, string code) => _quarantineReasons.AddOrUpdate($"{stage}:{code}", 1, (_, v) => v + 1);

    public IReadOnlyDictionary<string, int> QuarantineReasons => _quarantineReasons;

    public IDisposable Measure(string stage) => new Timer(this, stage);

    /// <summary>Times a stage into the table and the histogram, inside a span named after the stage.</summary>
    private sealed class Timer(StageMetrics metrics, string stage) : IDisposable
    {
        private readonly Stopwatch _sw = Stopwatch.StartNew();
        private readonly Activity? _span = Telemetry.PipelineTelemetry.Source.StartActivity("smed." + stage);

        public void Dispose()
        {
            metrics.AddTime(stage, _sw.Elapsed);
            _span?.Dispose();
        }
    }
}
