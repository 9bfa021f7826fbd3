using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary>A Microsoft.Storage.BlobCreated event in the Event Grid schema, as Event Grid delivers it to a storage
/// queue. The local event source writes the same shape so both paths run the same handler.</summary>
public sealed class BlobCreatedEvent
{
    public const string EventTypeName = "Microsoft.Storage.BlobCreated";

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("topic")]
    public string Topic { get; init; } = string.Empty;

    /// <summary>"/blobServices/default/containers/uploads/blobs/{name}".</summary>
    [JsonPropertyName("subject")]
    public required string Subject { get; init; }

    [JsonPropertyName("eventType")]
    public string EventType { get; init; } = EventTypeName;

    [JsonPropertyName("eventTime")]
    public DateTimeOffset EventTime { get; init; }

    [JsonPropertyName("dataVersion")]
    public string DataVersion { get; init; } = string.Empty;

    [JsonPropertyName("metadataVersion")]
    public string MetadataVersion { get; init; } = "1";

    /// <summary>W3C trace context (not part of Event Grid's schema: only our local event source sets it).</summary>
    [JsonPropertyName("traceparent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    [JsonPropertyName("data")]
    public required BlobCreatedData Data { get; init; }

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static BlobCreatedEvent Parse(string json)
    {
        var trimmed = json.TrimStart();
        // Event Grid may deliver a single event or an array of one.
        var e = trimmed.StartsWith('[')
            ? JsonSerializer.Deserialize<BlobCreatedEvent[]>(json, Json)?.FirstOrDefault()
            : JsonSerializer.Deserialize<BlobCreatedEvent>(json, Json);
        return e ?? throw new JsonException("empty event");
    }

    /// <summary>(container, blob name) from the subject.</summary>
    public (string Container, string Blob) ParseSubject()
    {
        const string marker = "/containers/";
        var i = Subject.IndexOf(marker, StringComparison.Ordinal);
        var j = Subject.IndexOf("/blobs/", StringComparison.Ordinal);
        if (i < 0 || j < i)
        {
            throw new FormatException("event subject is not a blob path");
        }

        return (Subject[(i + marker.Length)..j], Subject[(j + "/blobs/".Length)..]);
    }

    public static BlobCreatedEvent For(string container, string blob, Uri url, long length, string etag, string? traceParent = null) => new()
    {
        Id = Guid.NewGuid().ToString(),
        TraceParent = traceParent,
        Subject = $"/blobServices/default/containers/{container}/blobs/{blob}",
        EventTime = DateTimeOffset.UtcNow,
        Data = new BlobCreatedData { Url = url.ToString(), ContentLength = length, ETag = etag, Api = "PutBlob", BlobType = "BlockBlob" },
    };
}

public sealed class BlobCreatedData
{
    [JsonPropertyName("api")]
    public string Api { get; init; } = "PutBlob";

    [JsonPropertyName("eTag")]
    public string? ETag { get; init; }

    [JsonPropertyName("contentType")]
    public string? ContentType { get; init; }

    [JsonPropertyName("contentLength")]
    public long ContentLength { get; init; }

    [JsonPropertyName("blobType")]
    public string BlobType { get; init; } = "BlockBlob";

    [JsonPropertyName("url")]
    public required string Url { get; init; }

    [JsonPropertyName("sequencer")]
    public string? Sequencer { get; init; }
}
