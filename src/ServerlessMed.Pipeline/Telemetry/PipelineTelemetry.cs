using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;

namespace ServerlessMed.Pipeline.Telemetry;

/// <summary>The pipeline's OpenTelemetry sources (BCL ActivitySource and Meter, exported by the hosts): a span per
/// message and per stage, counters of instances in/out/quarantined and a histogram of stage latencies. W3C trace
/// context travels inside our own queue messages as a top-level <c>traceparent</c> field, so upload → ingest →
/// generation is one trace. Span names and tags carry queue names, message ids, stage names and outcome codes only:
/// never file names, patient data or original UIDs.</summary>
public static class PipelineTelemetry
{
    public const string Name = "ServerlessMed.Pipeline";

    public static ActivitySource Source { get; } = new(Name, "1.0");

    public static Meter Meter { get; } = new(Name, "1.0");

    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("smed.stage.duration", "ms", "time spent in a pipeline stage");
    private static readonly Dictionary<string, Counter<long>> Counters = new(StringComparer.Ordinal)
    {
        ["uploads"] = Meter.CreateCounter<long>("smed.instances.in", description: "uploads taken from the ingest queue"),
        ["deidentified"] = Meter.CreateCounter<long>("smed.instances.deidentified", description: "instances de-identified"),
        ["embedded"] = Meter.CreateCounter<long>("smed.instances.embedded", description: "instances encoded into embeddings"),
        ["quarantined"] = Meter.CreateCounter<long>("smed.instances.quarantined", description: "uploads quarantined"),
        ["generation-requests"] = Meter.CreateCounter<long>("smed.generation.requests", description: "generation requests enqueued"),
        ["generated"] = Meter.CreateCounter<long>("smed.images.generated", description: "synthetic images written"),
    };

    public static void Count(string counter, long by) => Counters.GetValueOrDefault(counter)?.Add(by);

    public static void StageTime(string stage, TimeSpan elapsed) => StageDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("smed.stage", stage));

    /// <summary>A consumer span for one message, continuing the producer's trace when the body carries one.</summary>
    public static Activity? StartProcessing(string queue, string messageId, string body)
    {
        var parent = ExtractTraceParent(body);
        var activity = parent is not null && ActivityContext.TryParse(parent, null, out var context)
            ? Source.StartActivity($"process {queue}", ActivityKind.Consumer, context)
            : Source.StartActivity($"process {queue}", ActivityKind.Consumer);
        activity?.SetTag("messaging.destination.name", queue);
        activity?.SetTag("messaging.message.id", messageId);
        return activity;
    }

    /// <summary>The current W3C traceparent, to put in a message being sent.</summary>
    public static string? CurrentTraceParent => Activity.Current?.Id is { } id && Activity.Current.IdFormat == ActivityIdFormat.W3C ? id : null;

    /// <summary>The top-level "traceparent" string of a JSON message body, if any (no full parse).</summary>
    public static string? ExtractTraceParent(string body)
    {
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(body));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTrace = reader.ValueTextEquals("traceparent"u8);
                reader.Read();
                if (isTrace && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
