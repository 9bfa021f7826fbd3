using System.Net.Sockets;
using Azure;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ServerlessMed.Pipeline;

/// <summary>Retries for storage outages around whole pipeline rounds (the Azure SDK already retries single
/// requests a few times; this covers an account that is unreachable for longer, e.g. a restart): exponential
/// back-off with jitter, honouring cancellation, logging each retry without message contents.</summary>
public static class Resilience
{
    public static ResiliencePipeline Storage(ILogger logger, int maxAttempts = 10) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = maxAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(10),
            OnRetry = args =>
            {
                logger.LogWarning("storage unavailable ({Error}); retry {Attempt} in {Delay} ms", args.Outcome.Exception?.GetType().Name, args.AttemptNumber + 1, (int)args.RetryDelay.TotalMilliseconds);
                return default;
            },
        })
        .Build();

    /// <summary>Connection failures, timeouts, throttling and server errors; not 4xx answers about the request.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        HttpRequestException or SocketException or TimeoutException or IOException => true,
        AggregateException a => a.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
