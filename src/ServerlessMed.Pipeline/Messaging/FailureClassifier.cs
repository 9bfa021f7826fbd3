using System.Text.Json;
using Azure;
using Azure.Messaging.ServiceBus;
using ServerlessMed.Pipeline.Stages;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary>Whether a handler's failure may pass (the message comes back) or never will (dead-lettered at once).</summary>
public static class FailureClassifier
{
    /// <summary>Unavailable services, throttling, timeouts and out-of-memory are transient. A 4xx answer about the
    /// request (403: the identity lacks a role; 404: a blob that is not there) will not pass by retrying, nor will a bad
    /// message or a request the generation stage refuses.</summary>
    public static FailureKind Classify(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500 ? FailureKind.Transient : FailureKind.Permanent,
        ServiceBusException s => s.IsTransient ? FailureKind.Transient : FailureKind.Permanent,
        IOException or TimeoutException or HttpRequestException => FailureKind.Transient,
        InsufficientMemoryException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException => FailureKind.Transient,
        JsonException or GenerationFailedException or FormatException => FailureKind.Permanent,
        _ => FailureKind.Permanent,
    };
}
