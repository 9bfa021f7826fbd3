using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ServerlessMed.Testing;

/// <summary>A local HTTP server that follows the documented Service Bus REST data-plane contract closely enough to
/// test a client against it: Send (POST {queue}/messages → 201), Peek-Lock (POST {queue}/messages/head?timeout=N →
/// 201 with BrokerProperties and Location, 204 when empty), Unlock (PUT {queue}/messages/{id}/{lock}), Delete (DELETE,
/// completes), Renew-Lock (POST), and the queue description (GET {queue} → MessageCount). Locks expire after
/// <see cref="LockDuration"/>; each peek-lock raises DeliveryCount. Every request must carry a valid SAS signature
/// for <see cref="KeyName"/>/<see cref="Key"/> or a bearer token.</summary>
public sealed class ServiceBusContractServer : IDisposable
{
    public const string KeyName = "RootManageSharedAccessKey";

    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, List<Entry>> _queues = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private long _sequence;

    public ServiceBusContractServer(TimeSpan lockDuration)
    {
        LockDuration = lockDuration;
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public Uri Endpoint { get; }

    public string Key { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public TimeSpan LockDuration { get; }

    /// <summary>Requests refused for a missing or bad signature.</summary>
    public int Unauthorized { get; private set; }

    public IReadOnlyDictionary<string, string> LastProperties { get; private set; } = new Dictionary<string, string>();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var req = context.Request;
        var res = context.Response;
        try
        {
            if (!Authorized(req.Headers["Authorization"]))
            {
                Unauthorized++;
                res.StatusCode = 401;
                return;
            }

            var parts = req.Url!.AbsolutePath.Trim('/').Split('/');
            var queue = parts[0];
            if (req.HttpMethod == "GET" && parts.Length == 1)
            {
                int active;
                lock (_gate)
                {
                    active = Queue(queue).Count;
                }

                var xml = $"<entry xmlns=\"http://www.w3.org/2005/Atom\"><content type=\"application/xml\"><QueueDescription xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\"><MessageCount>{active}</MessageCount></QueueDescription></content></entry>";
                await Write(res, 200, xml, "application/atom+xml;type=entry;charset=utf-8");
            }
            else if (req.HttpMethod == "POST" && parts is [_, "messages"])
            {
                var body = await new StreamReader(req.InputStream).ReadToEndAsync();
                var broker = req.Headers["BrokerProperties"] is { Length: > 0 } bp ? JsonDocument.Parse(bp).RootElement : default;
                var id = broker.ValueKind == JsonValueKind.Object && broker.TryGetProperty("MessageId", out var m) ? m.GetString()! : Guid.NewGuid().ToString("N");
                var props = req.Headers.AllKeys.Where(k => k is not null && k is not ("Authorization" or "BrokerProperties" or "Content-Type" or "Content-Length" or "Host" or "Connection" or "User-Agent" or "Accept" or "x-ms-client-request-id" or "x-ms-return-client-request-id" or "traceparent" or "Expect")).ToDictionary(k => k!, k => req.Headers[k]!);
                lock (_gate)
                {
                    Queue(queue).Add(new Entry(id, body, ++_sequence));
                    LastProperties = props;
                }

                res.StatusCode = 201;
            }
            else if (req.HttpMethod == "POST" && parts is [_, "messages", "head"])
            {
                var timeout = int.TryParse(req.QueryString["timeout"], out var t) ? t : 60;
                var deadline = DateTime.UtcNow.AddSeconds(timeout);
                while (true)
                {
                    Entry? e;
                    lock (_gate)
                    {
                        e = Queue(queue).FirstOrDefault(x => x.LockedUntil <= DateTime.UtcNow);
                        if (e is not null)
                        {
                            e.Lock = Guid.NewGuid().ToString();
                            e.LockedUntil = DateTime.UtcNow + LockDuration;
                            e.DeliveryCount++;
                        }
                    }

                    if (e is not null)
                    {
                        var broker = JsonSerializer.Serialize(new { DeliveryCount = e.DeliveryCount, LockToken = e.Lock, LockedUntilUtc = e.LockedUntil.ToString("R", CultureInfo.InvariantCulture), MessageId = e.Id, SequenceNumber = e.Sequence });
                        res.Headers["BrokerProperties"] = broker;
                        res.Headers["Location"] = new Uri(Endpoint, $"{queue}/messages/{e.Id}/{e.Lock}").ToString();
                        await Write(res, 201, e.Body, "application/json; charset=utf-8");
                        return;
                    }

                    if (DateTime.UtcNow >= deadline)
                    {
                        res.StatusCode = 204;
                        return;
                    }

                    await Task.Delay(50);
                }
            }
            else if (parts is [_, "messages", var id, var lockToken] && req.HttpMethod is "PUT" or "DELETE" or "POST")
            {
                lock (_gate)
                {
                    var list = Queue(queue);
                    var e = list.FirstOrDefault(x => x.Id == id && x.Lock == lockToken && x.LockedUntil > DateTime.UtcNow);
                    if (e is null)
                    {
                        res.StatusCode = 404; // lock lost or message gone
                        return;
                    }

                    switch (req.HttpMethod)
                    {
                        case "DELETE":
                            list.Remove(e);
                            break;
                        case "PUT":
                            e.LockedUntil = DateTime.MinValue;
                            e.Lock = null;
                            break;
                        default:
                            e.LockedUntil = DateTime.UtcNow + LockDuration;
                            break;
                    }
                }

                res.StatusCode = 200;
            }
            else
            {
                res.StatusCode = 400;
            }
        }
        finally
        {
            res.Close();
        }
    }

    private List<Entry> Queue(string name)
    {
        if (!_queues.TryGetValue(name, out var list))
        {
            _queues[name] = list = [];
        }

        return list;
    }

    private bool Authorized(string? header)
    {
        if (header is null)
        {
            return false;
        }

        if (header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return header.Length > 20;
        }

        if (!header.StartsWith("SharedAccessSignature ", StringComparison.Ordinal))
        {
            return false;
        }

        var fields = header["SharedAccessSignature ".Length..].Split('&').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!fields.TryGetValue("sr", out var sr) || !fields.TryGetValue("sig", out var sig) || !fields.TryGetValue("se", out var se) || fields.GetValueOrDefault("skn") != KeyName)
        {
            return false;
        }

        var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(sr + "\n" + se)));
        return WebUtility.UrlDecode(sig) == expected && long.Parse(se, CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    private static async Task Write(HttpListenerResponse res, int status, string body, string contentType)
    {
        res.StatusCode = status;
        res.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(body);
        res.ContentLength64 = bytes.Length;
        await res.OutputStream.WriteAsync(bytes);
    }

    private sealed class Entry(string id, string body, long sequence)
    {
        public string Id { get; } = id;

        public string Body { get; } = body;

        public long Sequence { get; } = sequence;

        public string? Lock { get; set; }

        public DateTime LockedUntil { get; set; } = DateTime.MinValue;

        public long DeliveryCount { get; set; }
    }
}
