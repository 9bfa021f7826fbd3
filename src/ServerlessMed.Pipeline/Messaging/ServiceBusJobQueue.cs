using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace ServerlessMed.Pipeline.Messaging;

/// <summary><see cref="IJobQueue"/> on Azure Service Bus through its REST data plane, on Azure.Core's HTTP pipeline
/// (retries, logging, bearer or SAS authentication): send (POST messages), peek-lock (POST messages/head), renew lock
/// (POST messages/{id}/{lock}), complete (DELETE), unlock (PUT), and dead-letter as a send to the poison queue plus a
/// complete. The lock duration is the queue's (Service Bus does not take one per receive).</summary>
public sealed class ServiceBusJobQueue : IJobQueue
{
    private const string Scope = "https://servicebus.azure.net/.default";
    private readonly ServiceBusOptions _options;
    private readonly HttpPipeline _pipeline;

    public ServiceBusJobQueue(ServiceBusOptions options, ClientOptions? clientOptions = null)
    {
        _options = options;
        HttpPipelinePolicy auth = options.Credential is not null
            ? new BearerTokenAuthenticationPolicy(options.Credential, Scope)
            : options.SasKeyName is not null && options.SasKey is not null
                ? new SasPolicy(options.Endpoint, options.SasKeyName, options.SasKey)
                : throw new ArgumentException("Service Bus needs a token credential or a SAS key name and key");
        _pipeline = HttpPipelineBuilder.Build(clientOptions ?? new ServiceBusClientOptions(), auth);
    }

    public string Name => _options.Queue;

    private string PoisonName => _options.PoisonQueue ?? _options.Queue + "-poison";

    public Task SendAsync(string body, CancellationToken cancellationToken = default) => SendToAsync(_options.Queue, body, null, cancellationToken);

    public async Task<IReadOnlyList<JobMessage>> ReceiveAsync(int max, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var result = new List<JobMessage>();
        for (var i = 0; i < Math.Max(1, max); i++)
        {
            var timeout = i == 0 ? _options.ReceiveTimeoutSeconds : 0;
            using var message = Request(RequestMethod.Post, $"{_options.Queue}/messages/head?timeout={timeout}");
            message.Request.Content = RequestContent.Create([]);
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            var response = message.Response;
            if (response.Status == (int)HttpStatusCode.NoContent)
            {
                break;
            }

            Ensure(response, 201, "peek-lock");
            var broker = response.Headers.TryGetValue("BrokerProperties", out var b) ? JsonDocument.Parse(b!).RootElement : default;
            var id = broker.ValueKind == JsonValueKind.Object && broker.TryGetProperty("MessageId", out var m) ? m.GetString()! : throw new RequestFailedException("peek-lock: no MessageId in BrokerProperties");
            var lockToken = broker.GetProperty("LockToken").GetString()!;
            var count = broker.TryGetProperty("DeliveryCount", out var d) ? d.GetInt64() : 1;
            result.Add(new JobMessage(id, response.Content.ToString(), count, lockToken));
        }

        return result;
    }

    public async Task<JobMessage> RenewAsync(JobMessage message, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await LockOperationAsync(RequestMethod.Post, message, "renew lock", cancellationToken).ConfigureAwait(false);
        return message;
    }

    public Task CompleteAsync(JobMessage message, CancellationToken cancellationToken = default) =>
        LockOperationAsync(RequestMethod.Delete, message, "complete", cancellationToken);

    public Task AbandonAsync(JobMessage message, CancellationToken cancellationToken = default) =>
        LockOperationAsync(RequestMethod.Put, message, "unlock", cancellationToken);

    public async Task DeadLetterAsync(JobMessage message, string reason, CancellationToken cancellationToken = default)
    {
        // Reason and origin travel as custom properties (headers), as Service Bus' dead-letter reason would.
        await SendToAsync(PoisonName, message.Body, new Dictionary<string, string> { ["DeadLetterReason"] = reason, ["OriginalMessageId"] = message.Id }, cancellationToken).ConfigureAwait(false);
        await CompleteAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Active messages, from the queue's description (management GET on the queue path).</summary>
    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        using var message = Request(RequestMethod.Get, $"{_options.Queue}?api-version=2021-05");
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        Ensure(message.Response, 200, "queue description");
        var doc = XDocument.Parse(message.Response.Content.ToString());
        var count = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "ActiveMessageCount") ?? doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "MessageCount");
        return count is null ? 0 : int.Parse(count.Value, CultureInfo.InvariantCulture);
    }

    private async Task SendToAsync(string queue, string body, IReadOnlyDictionary<string, string>? properties, CancellationToken ct)
    {
        using var message = Request(RequestMethod.Post, $"{queue}/messages");
        message.Request.Headers.SetValue("Content-Type", "application/json; charset=utf-8");
        // MessageId from the content: the queue's duplicate detection drops an identical re-send.
        var id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(queue + "\n" + body)).AsSpan(0, 16)).ToLowerInvariant();
        message.Request.Headers.SetValue("BrokerProperties", JsonSerializer.Serialize(new Dictionary<string, string> { ["MessageId"] = id }));
        foreach (var (k, v) in properties ?? new Dictionary<string, string>())
        {
            message.Request.Headers.SetValue(k, JsonSerializer.Serialize(v));
        }

        message.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(body));
        await _pipeline.SendAsync(message, ct).ConfigureAwait(false);
        Ensure(message.Response, 201, "send");
    }

    private async Task LockOperationAsync(RequestMethod method, JobMessage job, string what, CancellationToken ct)
    {
        using var message = Request(method, $"{_options.Queue}/messages/{Uri.EscapeDataString(job.Id)}/{Uri.EscapeDataString(job.LeaseToken)}");
        if (method != RequestMethod.Delete)
        {
            message.Request.Content = RequestContent.Create([]);
        }

        await _pipeline.SendAsync(message, ct).ConfigureAwait(false);
        Ensure(message.Response, 200, what);
    }

    private HttpMessage Request(RequestMethod method, string path)
    {
        var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(_options.Endpoint, path));
        return message;
    }

    private static void Ensure(Response response, int expected, string what)
    {
        if (response.Status != expected)
        {
            throw new RequestFailedException(response.Status, $"Service Bus {what}: HTTP {response.Status} (expected {expected})");
        }
    }

    /// <summary>Default client options (retries as the Azure SDK's defaults).</summary>
    private sealed class ServiceBusClientOptions : ClientOptions;

    /// <summary>Authorization: SharedAccessSignature sr={uri}&amp;sig={hmac}&amp;se={expiry}&amp;skn={key name}.</summary>
    private sealed class SasPolicy(Uri endpoint, string keyName, string key) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var resource = WebUtility.UrlEncode(endpoint.ToString().TrimEnd('/').ToLowerInvariant());
            var expiry = DateTimeOffset.UtcNow.AddMinutes(20).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(resource + "\n" + expiry)));
            message.Request.Headers.SetValue("Authorization", $"SharedAccessSignature sr={resource}&sig={WebUtility.UrlEncode(signature)}&se={expiry}&skn={keyName}");
        }
    }
}
